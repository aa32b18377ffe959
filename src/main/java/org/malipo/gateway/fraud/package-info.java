/**
 * Fraud scoring v0: named rules, Redis velocity counters updated by one Lua script, and an allow/review/block decision. Degrades (skips velocity rules, flags the assessment) when Redis is down; it never fails a payment by itself.
 */
package org.malipo.gateway.fraud;

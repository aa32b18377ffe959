/**
 * Idempotency-Key rules and the PostgreSQL-backed claim/replay store (Stripe's semantics). The unique key in PostgreSQL is the guard; a Redis fast path may sit in front of it but never replaces it.
 */
package org.malipo.gateway.idempotency;

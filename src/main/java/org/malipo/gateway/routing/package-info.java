/**
 * Chooses and ranks candidate rails for a payment: per-merchant rules, configured priority tiers,
 * this instance's sliding-window health per rail, rails that would refuse a call last, and a small
 * exploration share (docs/adr/0040-health-aware-ranking.md). Calling rails and failing over is the
 * pipeline's job; resilience (circuit breakers, bulkheads) is the rail module's.
 */
package org.malipo.gateway.routing;

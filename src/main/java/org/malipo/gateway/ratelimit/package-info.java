/**
 * Per-merchant request rate limiting: a token bucket per merchant in Redis, taken and refilled by
 * one atomic Lua script, so every gateway instance shares one bucket per merchant. Limits come
 * from configuration ({@code malipo.rate-limit.*}: a default and per-merchant overrides). Answers
 * over the limit are {@code 429 rate_limited} with {@code Retry-After} and the IETF
 * {@code RateLimit-Policy} / {@code RateLimit} fields (docs/adr/0050-per-merchant-rate-limits.md).
 * Non-goals: limiting unauthenticated routes (the token endpoint, callbacks, probes), which the
 * ingress does, and queueing: a request over the limit is refused at once.
 */
package org.malipo.gateway.ratelimit;

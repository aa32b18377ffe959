/**
 * Rail simulators that speak each rail's wire format, in process, for local runs, tests, load
 * tests and the merchant sandbox.
 *
 * <p>{@link org.malipo.gateway.sandbox.SandboxServer} is one HTTP server on 127.0.0.1 (enabled by
 * {@code malipo.sandbox.enabled=true}); today it simulates card acquirers at
 * {@code /{acquirer}/v1/authorizations} with test cards for each answer, Idempotency-Key replay and
 * a configurable latency ({@code docs/rails/sandbox-acquirer.md}), and M-Pesa, MTN MoMo, Airtel
 * Money, Orange Money, Paystack and Flutterwave in their own wire formats with the test numbers
 * and cards of {@code docs/mobile-money.md} and {@code docs/rails/*.md}; rails that take one callback
 * URL per app or dashboard get it through {@code RegionalSimulators.configureCallbackUrl}.
 *
 * <p>Non-goals: persistence (stored answers are bounded and in memory), running in production,
 * and realism beyond what the gateway's adapters and tests need.
 */
package org.malipo.gateway.sandbox;

/**
 * The rail SPI and its resilience decoration: how the gateway talks to a payment provider (a
 * card acquirer, a mobile-money operator).
 *
 * <p>{@link org.malipo.gateway.rail.RailAdapter} is the SPI; {@link org.malipo.gateway.rail.RailOutcome}
 * the sealed answer (approved, declined, pending, not attempted, unknown; ADR 0003);
 * {@link org.malipo.gateway.rail.ResilientRail} the Resilience4j decoration (time limiter,
 * circuit breaker, rate limiter, bulkhead) that turns every failure into an outcome; and
 * {@link org.malipo.gateway.rail.RailRegistry} the configured, decorated rails. Each provider lives
 * in its own sub-package ({@code card}, {@code mpesa}, {@code mtnmomo}, {@code airtel}, {@code orange},
 * {@code paystack}, {@code flutterwave}) that nothing outside
 * {@code rail} uses ({@code docs/rails/adding-a-rail.md}).
 *
 * <p>Non-goals: choosing a rail or failing over (the {@code routing} and {@code payment} modules
 * do that, on {@code NotAttempted} only), persisting attempts, reconciling unknown outcomes.
 */
package org.malipo.gateway.rail;

/**
 * The card rail: card acquirers reached over a JSON authorization API shaped after ISO 8583
 * (amount in minor units as field 4, ISO 4217 numeric currency as field 49, response code as
 * field 39; {@code docs/rails/sandbox-acquirer.md}).
 *
 * <p>{@link org.malipo.gateway.rail.card.CardRailProperties} configures the acquirers ({@code
 * malipo.rails.card.*}); {@link org.malipo.gateway.rail.card.CardRails} builds one adapter and one
 * bounded connection pool per acquirer. Everything else is package-private: the adapter, its
 * request and response mappers and the response-code table.
 *
 * <p>Non-goals: timeouts and retries (the {@code rail} decoration owns the timeout; nothing here
 * retries), reversals (0400) after an unknown outcome, 3-D Secure, storing card data (the PAN
 * passes through memory only, and never reaches a log).
 */
package org.malipo.gateway.rail.card;

/**
 * Exchange rates and currency conversion for settlement in another currency (issue 23 item 6,
 * docs/adr/0084-settlement-currency-fx.md): the rate source ({@code fx_rates}, loaded from a
 * configured CSV file at start), the latest rate of a pair, and the exact, half-even conversion of
 * minor units with its rounding remainder. Not a trading desk: no cross rates, no spreads, no
 * hedging; the ledger's postings are {@code ledger}'s job.
 */
package org.malipo.gateway.fx;

/**
 * What operators see of the running gateway (issue 24): the gauges only the database knows
 * (oldest non-final payment, refund and payout, open exceptions, dead webhooks, ledger imbalance).
 * The alert rules, dashboards and runbooks that use them live in {@code k8s/monitoring/} and
 * {@code docs/runbooks/}.
 */
package org.malipo.gateway.observability;

/**
 * Refunds of captured payments: {@code POST/GET /v1/payments/{id}/refunds}. A refund reserves
 * its amount on the payment and in the ledger when it is created, calls the rail that captured
 * the payment, then records the rail's answer (reversing the reservation if the rail refused).
 * Chargebacks and mobile-money reversals are not here yet.
 */
package org.malipo.gateway.refund;

package org.malipo.gateway.payment;

/**
 * What the gateway keeps of a mobile-money payer (columns {@code mobile_operator},
 * {@code msisdn}): the operator and the normalised number, needed to check a callback's payer.
 * The API shows the number masked ({@link MobileNumbers#mask}).
 *
 * @param operator {@code mpesa} or {@code mtn_momo}
 * @param msisdn E.164 with {@code +}
 */
record MobileWallet(String operator, String msisdn) {}

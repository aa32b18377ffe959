package org.malipo.gateway.payment;

/**
 * What the gateway keeps of a card: brand, BIN (first 6), last 4 and a keyed fingerprint
 * (HMAC-SHA256 of the PAN) to recognise the same card without storing it (INVARIANTS.md 14).
 */
record MaskedCard(String brand, String bin, String last4, String fingerprint) {}

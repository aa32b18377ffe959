package org.malipo.gateway.rail;

/**
 * What the customer pays with, as a rail needs it: a card ({@link CardData}) or a mobile-money
 * wallet ({@link MobileMoneyPayer}). Sealed, so every rail mapper handles exactly these.
 */
public sealed interface PaymentInstrument permits CardData, MobileMoneyPayer {}

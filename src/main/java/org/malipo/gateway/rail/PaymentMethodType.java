package org.malipo.gateway.rail;

/** Payment method families; the JSON form is the lower-case name. */
public enum PaymentMethodType {
  CARD,
  MOBILE_MONEY;

  /** The JSON form, e.g. {@code "card"}. */
  public String wireName() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}

package org.malipo.gateway.payment;

import org.malipo.gateway.rail.CardData;

/**
 * The 3-D Secure directory and access control server as the pipeline sees them
 * (docs/adr/0083-three-d-secure.md): which cards must be authenticated before they are
 * authorized. The rule belongs to the card's issuer, here the sandbox's ({@code
 * sandbox.SandboxAccessControlServer}); without an implementation no card is challenged.
 */
public interface CardAuthentication {

  /**
   * Whether the customer must authenticate this card before it is authorized.
   *
   * @param card the full card, in memory only
   * @param livemode the payment's mode
   */
  boolean required(CardData card, boolean livemode);
}

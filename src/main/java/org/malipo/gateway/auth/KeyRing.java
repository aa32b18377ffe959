package org.malipo.gateway.auth;

/** What other modules may know of the signing keys: which one signs (for the audit log). */
public interface KeyRing {

  /** The {@code kid} of the key that signs new access tokens. */
  String activeKid();
}

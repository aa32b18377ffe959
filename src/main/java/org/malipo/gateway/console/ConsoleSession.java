package org.malipo.gateway.console;

import java.util.Set;
import org.malipo.gateway.auth.Principal;

/**
 * One logged-in console operator.
 *
 * @param clientId the OAuth client that logged in
 * @param merchantId its merchant (the operator merchant for {@code admin_client})
 * @param role {@code admin} (acts through the admin API) or {@code regulator} (reads volumes, the
 *     trial balance and reports only)
 * @param livemode the client's mode
 * @param csrfToken the double-submit token every state-changing call must send in
 *     {@code X-CSRF-Token}
 */
record ConsoleSession(String clientId, String merchantId, String role, boolean livemode, String csrfToken) {

  static final String ADMIN = Principal.ADMIN;
  static final String REGULATOR = Principal.REGULATOR;

  /** The principal the admin API sees: only the {@code admin} scope (a regulator's reads go through an allow list). */
  Principal principal() {
    return new Principal(clientId, merchantId, Set.of(Principal.ADMIN), livemode, false);
  }

  boolean regulator() {
    return REGULATOR.equals(role);
  }

  /** Redis value: tab-separated fields (none of them can hold a tab: ids, a role, a base64url token). */
  String encode() {
    return String.join("\t", clientId, merchantId, role, Boolean.toString(livemode), csrfToken);
  }

  static ConsoleSession decode(String value) {
    String[] f = value.split("\t", -1);
    if (f.length != 5) {
      throw new IllegalStateException("malformed console session");
    }
    return new ConsoleSession(f[0], f[1], f[2], Boolean.parseBoolean(f[3]), f[4]);
  }
}

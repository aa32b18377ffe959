package org.malipo.gateway.audit;

/**
 * Who acts and from where, taken once from the request ({@link AuditLog#context}).
 *
 * @param clientId the acting OAuth client (JWT {@code sub}); {@code null} for the gateway itself
 * @param merchantId the acting client's merchant (JWT {@code mid}); {@code null} for the gateway
 * @param requestId the request id ({@code X-Request-Id}); {@code null} outside a request
 * @param sourceAddress the caller's IP address (see {@link SourceAddresses}); {@code null} outside a request
 */
public record AuditContext(String clientId, String merchantId, String requestId, String sourceAddress) {

  /** The gateway acting on its own, e.g. at start-up. */
  public static final AuditContext SYSTEM = new AuditContext(null, null, null, null);
}

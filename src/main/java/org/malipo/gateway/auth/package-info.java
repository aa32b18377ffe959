/**
 * Authentication of API callers: the OAuth 2.0 client-credentials token endpoint (RFC 6749
 * §4.4) that exchanges a client id and secret for a short-lived ES256 JWT access token (RFC
 * 9068), the published JWK set of the signing keys, the storage of salted client-secret hashes,
 * and the web filter that verifies Bearer tokens (RFC 6750, RFC 8725) on every {@code /v1} route
 * and binds the {@link org.malipo.gateway.auth.Principal} to the exchange. Non-goals: it does not
 * decide what a scope allows (handlers call {@code Principal.require}), it issues no refresh
 * tokens and supports no other grant, and it does not rotate keys by itself (operators publish a
 * new JWK set). Revoked clients' tokens are refused through a deny list within a bounded time
 * (docs/adr/0053-key-rotation-and-client-revocation.md).
 */
package org.malipo.gateway.auth;

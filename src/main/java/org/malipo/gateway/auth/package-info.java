/**
 * Authentication of API callers: the OAuth 2.0 client-credentials token endpoint (RFC 6749
 * §4.4) that exchanges a client id and secret for a short-lived ES256 JWT access token (RFC
 * 9068), the published JWK set of the signing keys, the storage of salted client-secret hashes,
 * and the web filter that verifies Bearer tokens (RFC 6750, RFC 8725) on every {@code /v1} route
 * and binds the {@link org.malipo.gateway.auth.Principal} to the exchange. Non-goals: it does not
 * decide what a scope allows (handlers call {@code Principal.require}), it issues no refresh
 * tokens and supports no other grant, it does not revoke issued tokens before they expire (their
 * lifetime is at most 15 minutes), and it does not rotate keys by itself (operators publish a new
 * JWK set).
 */
package org.malipo.gateway.auth;

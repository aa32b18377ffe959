package org.malipo.gateway.auth;

import java.time.Duration;
import org.springframework.http.CacheControl;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code GET /.well-known/jwks.json}: the public signing keys as a JWK Set (RFC 7517 §5), so
 * anyone can verify the gateway's access tokens. No authentication; cacheable for 5 minutes,
 * which is how long a new key must be published before it starts signing.
 */
@RestController
final class JwksEndpoint {

  private static final CacheControl FIVE_MINUTES = CacheControl.maxAge(Duration.ofMinutes(5)).cachePublic();

  private final SigningKeys keys;

  JwksEndpoint(SigningKeys keys) {
    this.keys = keys;
  }

  @GetMapping(path = "/.well-known/jwks.json", produces = MediaType.APPLICATION_JSON_VALUE)
  ResponseEntity<byte[]> jwks() {
    return ResponseEntity.ok()
        .cacheControl(FIVE_MINUTES)
        .contentType(MediaType.APPLICATION_JSON)
        .body(keys.publicJwkSetJson());
  }
}

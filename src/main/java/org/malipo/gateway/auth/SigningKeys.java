package org.malipo.gateway.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.core.env.Environment;
import org.springframework.stereotype.Component;

/**
 * The gateway's ES256 (ECDSA P-256 with SHA-256, RFC 7518 §3.4) keys: one signs new tokens, all
 * verify and are published in the JWK set, so keys can be rotated by publishing the new key
 * before it signs.
 *
 * <p>Source, read once at start-up: {@code malipo.auth.jwk-set} (JWK Set JSON) or
 * {@code malipo.auth.jwk-set-file}. Every key must be EC P-256 with a unique {@code kid}; the
 * signing key ({@code malipo.auth.active-kid}, else the first) must hold its private part, others
 * may be public only (retired keys still verifying outstanding tokens). With neither property the
 * start-up fails, except in the {@code local} profile, where an ephemeral key is generated and a
 * warning logged. Bad key material fails the start-up. Rotation:
 * docs/adr/0053-key-rotation-and-client-revocation.md.
 */
@Component
final class SigningKeys implements KeyRing {

  private static final Logger log = LoggerFactory.getLogger(SigningKeys.class);

  private final ECKey signingKey;
  private final Map<String, ECDSAVerifier> verifiers;
  private final byte[] publicJwkSetJson;

  @Autowired
  SigningKeys(AuthProperties properties, Environment environment) {
    this(load(properties, environment.matchesProfiles("local")), properties.activeKid());
  }

  /** Keys from the properties, an ephemeral one allowed (tests). */
  SigningKeys(AuthProperties properties) {
    this(load(properties, true), properties.activeKid());
  }

  /**
   * Keys from a JWK Set.
   *
   * @param keys the keys; see the class comment for the rules
   * @param activeKid the signing key's id, or {@code null} for the first key
   * @throws IllegalStateException if a rule is broken
   */
  SigningKeys(JWKSet keys, String activeKid) {
    if (keys.getKeys().isEmpty()) {
      throw new IllegalStateException("the malipo.auth JWK set has no keys");
    }
    Map<String, ECDSAVerifier> byKid = new LinkedHashMap<>();
    List<JWK> published = new ArrayList<>();
    for (JWK jwk : keys.getKeys()) {
      ECKey key = checked(jwk);
      if (byKid.containsKey(key.getKeyID())) {
        throw new IllegalStateException("the malipo.auth JWK set has two keys with kid " + key.getKeyID());
      }
      byKid.put(key.getKeyID(), verifier(key));
      published.add(key.toPublicJWK());
    }
    JWK active = activeKid == null ? keys.getKeys().getFirst() : keys.getKeyByKeyId(activeKid);
    if (active == null) {
      throw new IllegalStateException("malipo.auth.active-kid " + activeKid + " is not in the JWK set");
    }
    if (!active.isPrivate()) {
      throw new IllegalStateException("the signing key " + active.getKeyID() + " has no private part");
    }
    this.signingKey = active.toECKey();
    this.verifiers = Map.copyOf(byKid);
    this.publicJwkSetJson = new JWKSet(published).toString(true).getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public String activeKid() {
    return signingKey.getKeyID();
  }

  /** The private key that signs new tokens; its {@code kid} goes in the JWS header. */
  ECKey signingKey() {
    return signingKey;
  }

  /**
   * The verifier of the key with this {@code kid}.
   *
   * @return the verifier, or {@code null} for an unknown kid
   */
  ECDSAVerifier verifier(String kid) {
    return kid == null ? null : verifiers.get(kid);
  }

  /** The JWK Set of the public keys, {@code {"keys":[…]}}, UTF-8 JSON (RFC 7517 §5). */
  byte[] publicJwkSetJson() {
    return publicJwkSetJson.clone();
  }

  /** A fresh P-256 key with an RFC 7638 thumbprint as {@code kid}; start-up and tests only. */
  static ECKey generate() {
    try {
      return new ECKeyGenerator(Curve.P_256)
          .keyUse(KeyUse.SIGNATURE)
          .algorithm(JWSAlgorithm.ES256)
          .keyIDFromThumbprint(true)
          .secureRandom(Drbg.seeded())
          .generate();
    } catch (JOSEException e) {
      throw new IllegalStateException("could not generate an EC P-256 key", e);
    }
  }

  private static JWKSet load(AuthProperties properties, boolean ephemeralAllowed) {
    String json = properties.jwkSet();
    String source = "malipo.auth.jwk-set";
    if (properties.jwkSetFile() != null) {
      source = "malipo.auth.jwk-set-file " + properties.jwkSetFile();
      try {
        json = Files.readString(Path.of(properties.jwkSetFile()), StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new IllegalStateException("cannot read " + source, e);
      }
    }
    if (json == null && !ephemeralAllowed) {
      // Keys come from configuration, never from the code: outside a local run there is no fallback.
      throw new IllegalStateException("set malipo.auth.jwk-set-file (or malipo.auth.jwk-set): signing keys "
          + "are generated on the fly only in the local profile");
    }
    if (json == null) {
      ECKey key = generate();
      log.warn("No malipo.auth.jwk-set or malipo.auth.jwk-set-file configured: generated an ephemeral "
          + "ES256 signing key (kid {}). Access tokens will not survive a restart and will not verify "
          + "on other instances; configure a JWK set outside local runs.", key.getKeyID());
      return new JWKSet(key);
    }
    try {
      return JWKSet.parse(json);
    } catch (ParseException e) {
      // The message of a JWK parse error never echoes key material, only the structure at fault.
      throw new IllegalStateException(source + " is not a valid JWK set: " + e.getMessage());
    }
  }

  private static ECKey checked(JWK jwk) {
    if (!(jwk instanceof ECKey key) || !Curve.P_256.equals(key.getCurve())) {
      throw new IllegalStateException("the malipo.auth JWK set may hold only EC P-256 keys (ES256), found "
          + jwk.getKeyType() + " with kid " + jwk.getKeyID());
    }
    if (key.getKeyID() == null || key.getKeyID().isBlank()) {
      throw new IllegalStateException("every key of the malipo.auth JWK set needs a kid");
    }
    if (key.getKeyUse() != null && !KeyUse.SIGNATURE.equals(key.getKeyUse())) {
      throw new IllegalStateException("key " + key.getKeyID() + " has use " + key.getKeyUse() + ", expected sig");
    }
    if (key.getAlgorithm() != null && !JWSAlgorithm.ES256.equals(key.getAlgorithm())) {
      throw new IllegalStateException("key " + key.getKeyID() + " has alg " + key.getAlgorithm() + ", expected ES256");
    }
    return key;
  }

  private static ECDSAVerifier verifier(ECKey key) {
    try {
      return new ECDSAVerifier(key.toPublicJWK());
    } catch (JOSEException e) {
      throw new IllegalStateException("key " + key.getKeyID() + " is not a usable EC public key", e);
    }
  }
}

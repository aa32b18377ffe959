package org.malipo.gateway.auth;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.malipo.gateway.api.ApiProblem;
import org.malipo.gateway.api.ProblemCode;
import org.malipo.gateway.common.Ids;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * The OAuth clients of merchants, table {@code api_clients}: registration with a generated or
 * given secret, and client authentication (RFC 6749 §2.3.1) against the stored salted hash.
 *
 * <p>Every method joins the caller's R2DBC transaction when there is one (a
 * {@code TransactionalOperator} upstream), so a merchant and its first client commit together.
 */
@Component
public final class ApiClients {

  /** Longest client id and secret looked at; longer ones fail authentication without a query. */
  static final int MAX_ID_LENGTH = 128;
  static final int MAX_SECRET_LENGTH = 256;

  private static final byte[] DUMMY_SALT = new byte[ClientSecrets.SALT_BYTES];
  private static final byte[] DUMMY_HASH = ClientSecrets.digest(DUMMY_SALT, "no such client");

  private final DatabaseClient db;
  private final ClientSecrets secrets;

  ApiClients(DatabaseClient db, ClientSecrets secrets) {
    this.db = db;
    this.secrets = secrets;
  }

  /**
   * A client id and its secret in clear; the secret exists in clear only in this object.
   *
   * @param clientId {@code cli_…}
   * @param clientSecret {@code sk_…}
   */
  public record Credentials(String clientId, String clientSecret) {
    @Override
    public String toString() {
      return "Credentials[clientId=" + clientId + ", clientSecret=<redacted>]";
    }
  }

  /** A stored client, as authentication needs it. */
  record Client(String clientId, String merchantId, List<String> scopes, boolean livemode) {}

  /**
   * Registers a new client of {@code merchantId} with a generated id ({@code cli_…}) and secret.
   *
   * @param merchantId an existing merchant (the foreign key fails otherwise)
   * @param scopes the client's scopes, each one of {@link Principal#ALL_SCOPES}
   * @return the credentials, to be shown to the merchant once
   * @throws IllegalArgumentException for an unknown scope
   */
  public Mono<Credentials> register(String merchantId, Collection<String> scopes) {
    return register(merchantId, scopes, false);
  }

  /**
   * Registers a new client of one mode (docs/adr/0078-test-and-live-mode.md).
   *
   * @param livemode true for a live client (real rails, live objects); false for a test client
   * @return the credentials, to be shown to the merchant once
   * @throws IllegalArgumentException for an unknown scope
   */
  public Mono<Credentials> register(String merchantId, Collection<String> scopes, boolean livemode) {
    String clientId = Ids.next("cli");
    String secret = secrets.newSecret();
    return insert(clientId, merchantId, secret, scopes, false, livemode).thenReturn(new Credentials(clientId, secret));
  }

  /**
   * Stores a client with a chosen id and secret unless that id exists (demo seeding and tests).
   *
   * @return {@code true} if stored, {@code false} if the id was taken (the stored client is kept)
   * @throws IllegalArgumentException for an unknown scope
   */
  public Mono<Boolean> registerIfAbsent(String clientId, String merchantId, String secret, Collection<String> scopes) {
    return insert(clientId, merchantId, secret, scopes, true, false).map(rows -> rows == 1);
  }

  /**
   * Verifies a client's secret as the token endpoint does (console login, issue 24).
   *
   * @return the client as a principal with all its scopes, or {@code 401 invalid_client}
   */
  public Mono<Principal> authenticatePrincipal(String clientId, String secret) {
    return authenticate(clientId, secret)
        .map(client -> new Principal(client.clientId(), client.merchantId(), java.util.Set.copyOf(client.scopes()),
            client.livemode(), false));
  }

  /**
   * The active client with this id and secret.
   *
   * @return the client, or the error {@code 401 invalid_client} (with {@code WWW-Authenticate:
   *     Basic}) when the id is unknown, the secret wrong or the client revoked
   */
  Mono<Client> authenticate(String clientId, String secret) {
    if (clientId.length() > MAX_ID_LENGTH || secret.length() > MAX_SECRET_LENGTH) {
      return Mono.error(invalidClient());
    }
    return db.sql("SELECT merchant_id, secret_salt, secret_hash, scopes, livemode, revoked_at IS NOT NULL AS revoked "
            + "FROM api_clients WHERE client_id = :id")
        .bind("id", clientId)
        .map(row -> new Stored(row.get("merchant_id", String.class), row.get("secret_salt", byte[].class),
            row.get("secret_hash", byte[].class), row.get("scopes", String.class),
            Boolean.TRUE.equals(row.get("revoked", Boolean.class)), Boolean.TRUE.equals(row.get("livemode", Boolean.class))))
        .one()
        // Unknown ids cost the same hash as known ones, so timing does not tell which ids exist.
        .switchIfEmpty(Mono.fromSupplier(() -> new Stored(null, DUMMY_SALT, DUMMY_HASH, "", true, false)))
        .handle((stored, sink) -> {
          boolean secretOk = ClientSecrets.matches(secret, stored.salt(), stored.hash());
          if (secretOk && !stored.revoked() && stored.merchantId() != null) {
            sink.next(new Client(clientId, stored.merchantId(), splitScopes(stored.scopes()), stored.livemode()));
          } else {
            sink.error(invalidClient());
          }
        });
  }

  /**
   * A revoked client.
   *
   * @param newlyRevoked false when it had been revoked before this call
   */
  public record Revoked(String clientId, String merchantId, Instant revokedAt, boolean newlyRevoked) {}

  /**
   * Revokes a client: it gets no new token (its secret stops working) and stays revoked. Joins the
   * caller's transaction. Tokens already issued are the deny list's business ({@link ClientRevocations}).
   *
   * @return the revoked client (also when it was revoked before), or empty for an unknown id
   */
  public Mono<Revoked> revoke(String clientId) {
    if (clientId.length() > MAX_ID_LENGTH) {
      return Mono.empty();
    }
    Mono<Revoked> earlier = db.sql("SELECT merchant_id, revoked_at FROM api_clients WHERE client_id = :id")
        .bind("id", clientId)
        .map(row -> new Revoked(clientId, row.get("merchant_id", String.class),
            row.get("revoked_at", OffsetDateTime.class).toInstant(), false))
        .one();
    return db.sql("UPDATE api_clients SET revoked_at = now() WHERE client_id = :id AND revoked_at IS NULL "
            + "RETURNING merchant_id, revoked_at")
        .bind("id", clientId)
        .map(row -> new Revoked(clientId, row.get("merchant_id", String.class),
            row.get("revoked_at", OffsetDateTime.class).toInstant(), true))
        .one()
        .switchIfEmpty(earlier);
  }

  private record Stored(String merchantId, byte[] salt, byte[] hash, String scopes, boolean revoked, boolean livemode) {}

  /** {@code 401 invalid_client} with the Basic challenge RFC 6749 §5.2 asks for. */
  static ApiProblem invalidClient() {
    return ApiProblem.of(ProblemCode.INVALID_CLIENT, "Client authentication failed.")
        .withHeaders(Map.of("WWW-Authenticate", "Basic realm=\"malipo\""));
  }

  private Mono<Long> insert(String clientId, String merchantId, String secret, Collection<String> scopes,
      boolean ifAbsent, boolean livemode) {
    String joined = joinScopes(scopes);
    ClientSecrets.Hashed hashed = secrets.hash(secret);
    return db.sql("INSERT INTO api_clients (client_id, merchant_id, secret_salt, secret_hash, scopes, livemode) "
            + "VALUES (:id, :merchant, :salt, :hash, :scopes, :livemode)"
            + (ifAbsent ? " ON CONFLICT (client_id) DO NOTHING" : ""))
        .bind("id", clientId)
        .bind("merchant", merchantId)
        .bind("salt", hashed.salt())
        .bind("hash", hashed.hash())
        .bind("scopes", joined)
        .bind("livemode", livemode)
        .fetch()
        .rowsUpdated();
  }

  private static String joinScopes(Collection<String> scopes) {
    Set<String> ordered = new LinkedHashSet<>(scopes);
    if (ordered.isEmpty() || !Principal.ALL_SCOPES.containsAll(ordered)) {
      throw new IllegalArgumentException("scopes must be a non-empty subset of " + Principal.ALL_SCOPES);
    }
    return String.join(" ", ordered);
  }

  private static List<String> splitScopes(String stored) {
    return stored == null || stored.isBlank() ? List.of() : List.of(stored.strip().split(" +"));
  }
}

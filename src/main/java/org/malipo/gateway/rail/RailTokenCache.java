package org.malipo.gateway.rail;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.function.Predicate;
import reactor.core.publisher.Mono;

/**
 * One rail access token (Daraja OAuth, MoMo Collections token), fetched once and shared until
 * shortly before it expires.
 *
 * <p>Single flight: {@link Mono#cacheInvalidateIf} subscribes to the fetch once however many
 * callers ask at the same time, so an expiry never causes a thundering herd of token requests
 * (Daraja even invalidates the previous token on every new one: rails.md §1.2). A failed fetch is
 * not cached. {@link Token#revoke()} (after the rail refused the token) makes the next caller
 * fetch a new one.
 */
public final class RailTokenCache {

  /**
   * The {@code Authorization} value rails' token endpoints take: HTTP Basic (RFC 7617) over the
   * API user and secret (M-Pesa consumer key/secret, MoMo API user/key).
   */
  public static String basicCredentials(String user, String secret) {
    return "Basic " + java.util.Base64.getEncoder()
        .encodeToString((user + ":" + secret).getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  private final Mono<Token> cached;

  /**
   * @param fetch fetches a new token; subscribed once per refresh
   * @param refreshBefore how long before its expiry a token is replaced (e.g. 60 s)
   * @param clock the time source
   */
  public RailTokenCache(Mono<Token> fetch, Duration refreshBefore, Clock clock) {
    Objects.requireNonNull(fetch, "fetch");
    this.cached = fetch.cacheInvalidateIf(token ->
        token.revoked() || !clock.instant().plus(refreshBefore).isBefore(token.expiresAt()));
  }

  /** The current token, fetching one if none is valid; errors with the fetch's error. */
  public Mono<Token> token() {
    return cached;
  }

  /**
   * Makes one call of {@code rail} with the current token; if the rail answers {@code 401}, revokes
   * the token and makes the call once more with a fresh one (once: a second refusal is the answer).
   *
   * @param rail the rail's name, for the error
   * @param call the call, given the bearer value
   * @return the call's reply; {@link RailException#notCharged} when no token could be had (nothing
   *     reached the rail's payment API)
   */
  public Mono<HttpReply> withToken(String rail, Function<String, Mono<HttpReply>> call) {
    return withToken(rail, reply -> reply.status() == 401, call);
  }

  /**
   * {@link #withToken(String, Function)} for a rail that refuses a token in its own way (Daraja
   * answers {@code 404.001.03} "Invalid Access Token": rails.md §1.2).
   *
   * @param refused whether a reply means the token was refused
   */
  public Mono<HttpReply> withToken(String rail, Predicate<HttpReply> refused, Function<String, Mono<HttpReply>> call) {
    return token(rail).flatMap(token -> call.apply(token.value()).flatMap(reply -> {
      if (!refused.test(reply)) {
        return Mono.just(reply);
      }
      token.revoke();
      return token(rail).flatMap(fresh -> call.apply(fresh.value()));
    }));
  }

  private Mono<Token> token(String rail) {
    return cached.onErrorMap(error -> !(error instanceof RailException),
        error -> RailException.notCharged(rail + ": no access token (" + error.getClass().getSimpleName() + ")", error));
  }

  /**
   * One access token.
   *
   * @param value the token as sent after {@code Bearer }
   * @param expiresAt when the rail stops accepting it
   */
  public static final class Token {
    private final String value;
    private final Instant expiresAt;
    private final AtomicBoolean revoked = new AtomicBoolean();

    public Token(String value, Instant expiresAt) {
      this.value = Objects.requireNonNull(value, "value");
      this.expiresAt = Objects.requireNonNull(expiresAt, "expiresAt");
    }

    /** The bearer value. */
    public String value() {
      return value;
    }

    /** When the rail stops accepting it. */
    public Instant expiresAt() {
      return expiresAt;
    }

    /** Marks the token refused by the rail, so the cache replaces it. */
    public void revoke() {
      revoked.set(true);
    }

    boolean revoked() {
      return revoked.get();
    }

    @Override
    public String toString() {
      return "Token[expiresAt=" + expiresAt + "]";
    }
  }
}

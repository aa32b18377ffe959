package org.malipo.gateway.auth;

import com.nimbusds.jose.jwk.JWKSet;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Bearer token verification: the cached path every request of a merchant that reuses its token
 * takes (SHA-256 of the token, one Caffeine lookup), and the first sight of a token (ES256 signature
 * and claims, Nimbus JOSE).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class TokenVerifierBenchmark {

  private AuthProperties properties;
  private SigningKeys keys;
  private String token;
  private TokenVerifier warm;
  private TokenVerifier cold;

  /** One key, one token, a verifier that has seen it. */
  @Setup
  public void setUp() {
    properties = AuthProperties.defaults(null);
    keys = new SigningKeys(new JWKSet(SigningKeys.generate()), null);
    token = new TokenIssuer(properties, keys, Clock.systemUTC())
        .issue("demo_client", "mer_demo", List.of("payments:write", "payments:read")).value();
    warm = new TokenVerifier(properties, keys, Clock.systemUTC());
    warm.verify(token);
  }

  /** A verifier with an empty cache for each call of {@link #firstSight}. */
  @Setup(Level.Invocation)
  public void emptyCache() {
    cold = new TokenVerifier(properties, keys, Clock.systemUTC());
  }

  /** A token the gateway verified before (the steady state of the load test). */
  @Benchmark
  public Principal cached() {
    return warm.verify(token);
  }

  /** A token seen for the first time: parse, ES256 verify, claims checks, cache insert. */
  @Benchmark
  public Principal firstSight() {
    return cold.verify(token);
  }
}

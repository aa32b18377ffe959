import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;

/**
 * Prints a JWK set (RFC 7517 §5) with one new ES256 signing key, private part included, for
 * {@code malipo.auth.jwk-set-file} (docs/configuration.md; rotation: ADR 0053). The key id is the
 * key's RFC 7638 thumbprint, as the gateway's own generated keys have.
 *
 * <p>Usage, with Nimbus JOSE+JWT taken from the packaged jar:
 * <pre>
 * unzip -j -o target/malipo-gateway-*.jar 'BOOT-INF/lib/nimbus-jose-jwt-*.jar' -d /tmp/nimbus
 * java -cp "$(ls /tmp/nimbus/nimbus-jose-jwt-*.jar)" deploy/GenerateJwks.java > jwks.json
 * </pre>
 */
public final class GenerateJwks {

  private GenerateJwks() {}

  public static void main(String[] args) throws Exception {
    ECKey key = new ECKeyGenerator(Curve.P_256)
        .keyUse(KeyUse.SIGNATURE)
        .algorithm(JWSAlgorithm.ES256)
        .keyIDFromThumbprint(true)
        .generate();
    System.out.println(new JWKSet(key).toString(false));
  }
}

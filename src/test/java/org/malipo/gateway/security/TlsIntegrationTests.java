package org.malipo.gateway.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.malipo.gateway.support.IntegrationTest;
import org.malipo.gateway.support.SecondInstance;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * TLS in the pod (ADR 0052): a gateway given a PEM SSL bundle (a self-signed certificate made
 * here with the JDK's keytool) speaks TLS 1.3 and HTTP/2 (ALPN), and refuses a TLS 1.2 handshake.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TlsIntegrationTests extends IntegrationTest {

  private static final char[] PASSWORD = "test-only".toCharArray();

  private Path dir;
  private ConfigurableApplicationContext tlsGateway;
  private SSLContext trustingOurCertificate;
  private int port;

  @BeforeAll
  void gatewayWithAPemBundle() throws Exception {
    dir = Files.createTempDirectory("malipo-tls");
    Path keystore = dir.resolve("gateway.p12");
    keytool("-genkeypair", "-alias", "gateway", "-keyalg", "EC", "-groupname", "secp256r1", "-validity", "2",
        "-dname", "CN=localhost", "-ext", "SAN=ip:127.0.0.1,dns:localhost",
        "-storetype", "PKCS12", "-keystore", keystore.toString(), "-storepass", new String(PASSWORD));
    KeyStore store = KeyStore.getInstance("PKCS12");
    try (InputStream in = new FileInputStream(keystore.toFile())) {
      store.load(in, PASSWORD);
    }
    Certificate certificate = store.getCertificate("gateway");
    PrivateKey key = (PrivateKey) store.getKey("gateway", PASSWORD);
    Path certificatePem = pem(dir.resolve("tls.crt"), "CERTIFICATE", certificate.getEncoded());
    Path keyPem = pem(dir.resolve("tls.key"), "PRIVATE KEY", key.getEncoded()); // PKCS#8

    tlsGateway = SecondInstance.startVariant(
        "--server.ssl.bundle=malipo",
        "--spring.ssl.bundle.pem.malipo.keystore.certificate=file:" + certificatePem,
        "--spring.ssl.bundle.pem.malipo.keystore.private-key=file:" + keyPem);
    port = Integer.parseInt(tlsGateway.getEnvironment().getProperty("local.server.port"));

    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("gateway", certificate);
    TrustManagerFactory trustManagers = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    trustManagers.init(trust);
    trustingOurCertificate = SSLContext.getInstance("TLS");
    trustingOurCertificate.init(null, trustManagers.getTrustManagers(), null);
  }

  @Test
  void answersOverTls13AndHttp2() throws Exception {
    SSLParameters tls13 = new SSLParameters();
    tls13.setProtocols(new String[] {"TLSv1.3"});
    try (HttpClient client = HttpClient.newBuilder().sslContext(trustingOurCertificate).sslParameters(tls13)
        .version(HttpClient.Version.HTTP_2).connectTimeout(Duration.ofSeconds(10)).build()) {
      HttpResponse<String> answer = client.send(HttpRequest.newBuilder(URI.create("https://localhost:" + port
              + "/actuator/health/liveness")).timeout(Duration.ofSeconds(20)).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(answer.statusCode()).isEqualTo(200);
      assertThat(answer.version()).isEqualTo(HttpClient.Version.HTTP_2);
      assertThat(answer.headers().firstValue("strict-transport-security")).isPresent();
      assertThat(answer.sslSession().orElseThrow().getProtocol()).isEqualTo("TLSv1.3");
    }
  }

  @Test
  void refusesATls12Handshake() throws Exception {
    try (SSLSocket socket = (SSLSocket) trustingOurCertificate.getSocketFactory().createSocket("localhost", port)) {
      socket.setSoTimeout(10_000);
      socket.setEnabledProtocols(new String[] {"TLSv1.2"});
      assertThatThrownBy(socket::startHandshake).isInstanceOf(SSLHandshakeException.class);
    }
  }

  private static Path pem(Path file, String type, byte[] der) throws IOException {
    String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
    return Files.writeString(file, "-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n");
  }

  private static void keytool(String... args) throws Exception {
    String[] command = new String[args.length + 1];
    command[0] = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
    System.arraycopy(args, 0, command, 1, args.length);
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).as(output).isZero();
  }
}

package org.malipo.gateway.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.malipo.gateway.auth.ApiClients;
import org.malipo.gateway.support.BrowserScript;
import org.malipo.gateway.support.IntegrationTest;
import org.malipo.gateway.support.TestMerchants;
import org.malipo.gateway.support.TestMerchants.TestMerchant;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.http.MediaType;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.test.web.reactive.server.EntityExchangeResult;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The operations console (issue 24): the browser test (web/e2e/console.mjs) logs in, sees the
 * overview chart, finds a payment by reference and its timeline, resolves an exception made here by
 * a reconciliation upload with an altered amount, and screenshots each screen into docs/console/.
 * Then the session rules over HTTP: no CSRF header on a state-changing call is 403
 * csrf_token_invalid, the regulator reads the trial balance only, a client without admin or
 * regulator cannot log in, logout ends the session, and an idle session expires.
 */
class ConsoleIntegrationTests extends IntegrationTest {

  private static final Duration DB = Duration.ofSeconds(10);

  @Value("${local.server.port}") int port;
  @Autowired DatabaseClient db;
  @Autowired ApiClients clients;
  @Autowired JsonMapper json;
  @Autowired ReactiveStringRedisTemplate redis;
  @Autowired ConsoleSessions sessions;

  private TestMerchant merchant;

  @BeforeEach
  void newMerchant() {
    merchant = TestMerchants.create(db, clients, web, "payments:write", "payments:read", "admin");
  }

  @Test
  void anOperatorFindsAPaymentAndResolvesAnExceptionInTheBrowser() {
    ApiClients.Credentials admin = clients.register(merchant.merchantId(), List.of("admin")).block(DB);
    String reference = "console-" + UUID.randomUUID().toString().substring(0, 8);
    String paid = pay(reference, 155_000);
    String altered = pay(reference + "-b", 255_000);
    awaitStatus(paid, "succeeded");
    awaitStatus(altered, "succeeded");
    List<String> lines = statement();
    upload(lines.getFirst() + "\r\n" + lineOf(lines, paid) + "\r\n"
        + lineOf(lines, altered).replace(",2550.00,", ",2560.00,") + "\r\n");
    String exceptionId = db.sql("SELECT id FROM payment_exceptions WHERE payment_id = :p AND resolved_at IS NULL")
        .bind("p", altered).map(row -> row.get(0, String.class)).one().block(DB);
    assertThat(exceptionId).startsWith("exc_");
    String deadDelivery = deadDelivery();
    long mismatch = quarantinedCallback("mismatch");
    long orphan = quarantinedCallback("orphan");

    String output = BrowserScript.run("console.mjs", "http://127.0.0.1:" + port, Map.of(
        "MALIPO_CONSOLE_CLIENT_ID", admin.clientId(),
        "MALIPO_CONSOLE_CLIENT_SECRET", admin.clientSecret(),
        "MALIPO_CONSOLE_REFERENCE", reference,
        "MALIPO_CONSOLE_PAYMENT_ID", paid,
        "MALIPO_CONSOLE_EXCEPTION_ID", exceptionId,
        "MALIPO_CONSOLE_DEAD_DELIVERY_ID", deadDelivery,
        "MALIPO_CONSOLE_MISMATCH_CALLBACK_ID", String.valueOf(mismatch),
        "MALIPO_CONSOLE_ORPHAN_CALLBACK_ID", String.valueOf(orphan),
        "MALIPO_CONSOLE_RAIL", "mpesa",
        "MALIPO_SCREENSHOTS", Path.of("docs", "console").toAbsolutePath().toString()), Duration.ofSeconds(180));

    assertThat(output).contains("browser test passed");
    assertThat(db.sql("SELECT resolution FROM payment_exceptions WHERE id = :id AND resolved_at IS NOT NULL")
        .bind("id", exceptionId).map(row -> row.get(0, String.class)).one().block(DB)).isEqualTo("accept_rail");
    assertThat(db.sql("SELECT count(*) FROM webhook_deliveries WHERE redelivery_of = :id AND manual")
        .bind("id", deadDelivery).map(row -> row.get(0, Long.class)).one().block(DB)).isEqualTo(1L);
    assertThat(db.sql("SELECT dismissal_note FROM inbox WHERE id = :id AND verdict = 'mismatch' AND dismissed_by = :c")
        .bind("id", mismatch).bind("c", admin.clientId()).map(row -> row.get(0, String.class)).one().block(DB))
        .isEqualTo("Checked against the rail's statement");
    for (String action : List.of("console_session.created", "console_session.ended", "exception.resolved",
        "webhook_delivery.redelivered", "callback.dismissed")) {
      assertThat(db.sql("SELECT count(*) FROM audit_events WHERE action = :a AND actor_client_id = :c")
          .bind("a", action).bind("c", admin.clientId()).map(row -> row.get(0, Long.class)).one().block(DB))
          .as(action).isEqualTo(1L);
    }
  }

  /** A callback kept with this verdict, as the processor leaves it (the body is never shown). */
  private long quarantinedCallback(String verdict) {
    return db.sql("""
            INSERT INTO inbox (rail, body, attempts, verdict, verdict_detail, processed_at)
            VALUES ('mpesa', '{}', 8, :verdict, :detail, now()) RETURNING id""")
        .bind("verdict", verdict).bind("detail", verdict.equals("orphan") ? "no attempt for this reference; kept for review"
            : "amount KES 1.00 reported, KES 1550.00 requested")
        .map(row -> row.get(0, Long.class)).one().block(DB);
  }

  /** A delivery of a webhook endpoint of the test's merchant that every retry failed (as the dispatcher leaves it). */
  private String deadDelivery() {
    String endpoint = json.readTree(web.post().uri("/v1/webhook_endpoints").headers(h -> h.setBearerAuth(merchant.token()))
        .contentType(MediaType.APPLICATION_JSON)
        .bodyValue("{\"url\": \"http://127.0.0.1:9/hooks\", \"events\": [\"payment.succeeded\"]}").exchange()
        .expectStatus().isCreated().expectBody().returnResult().getResponseBody()).get("id").asString();
    String id = org.malipo.gateway.common.Ids.next("whd");
    String event = org.malipo.gateway.common.Ids.next("evt");
    db.sql("""
            INSERT INTO webhook_deliveries (id, endpoint_id, merchant_id, event_id, event_type, payload, status, attempts,
                last_status_code, last_error)
            VALUES (:id, :endpoint, :merchant, :event, 'payment.succeeded', :payload, 'dead', 8, 503, 'HTTP 503')""")
        .bind("id", id).bind("endpoint", endpoint).bind("merchant", merchant.merchantId()).bind("event", event)
        .bind("payload", "{\"id\": \"" + event + "\", \"type\": \"payment.succeeded\", \"livemode\": false}")
        .then().block(DB);
    return id;
  }

  @Test
  void stateChangingCallsNeedTheCsrfTokenAndLogoutEndsTheSession() {
    ApiClients.Credentials admin = clients.register(merchant.merchantId(), List.of("admin")).block(DB);
    Login login = login(admin.clientId(), admin.clientSecret(), 201);
    assertThat(login.body().get("role").asString()).isEqualTo("admin");
    assertThat(login.setCookies()).anySatisfy(c -> assertThat(c).startsWith("malipo_console=").contains("HttpOnly")
        .contains("SameSite=Strict"));
    assertThat(login.setCookies()).anySatisfy(c -> assertThat(c).startsWith("malipo_console_csrf=")
        .doesNotContain("HttpOnly"));

    web.get().uri("/v1/exceptions?status=open").cookie("malipo_console", login.session()).exchange()
        .expectStatus().isOk();
    web.get().uri("/v1/admin/payments?merchant_id=" + merchant.merchantId()).cookie("malipo_console", login.session())
        .exchange().expectStatus().isOk();
    web.get().uri("/v1/admin/callbacks").cookie("malipo_console", login.session()).exchange().expectStatus().isOk();
    web.get().uri("/v1/admin/webhook_deliveries?status=dead").cookie("malipo_console", login.session()).exchange()
        .expectStatus().isOk();
    problem(web.get().uri("/v1/admin/webhook_deliveries?status=nope").cookie("malipo_console", login.session()).exchange()
        .expectStatus().isBadRequest().expectBody().returnResult(), "parameter_invalid");
    String resolve = "{\"action\": \"write_off\", \"note\": \"n\"}";
    problem(web.post().uri("/v1/exceptions/exc_nope/resolve").cookie("malipo_console", login.session())
        .contentType(MediaType.APPLICATION_JSON).bodyValue(resolve).exchange().expectStatus().isForbidden()
        .expectBody().returnResult(), "csrf_token_invalid");
    problem(web.post().uri("/v1/exceptions/exc_nope/resolve").cookie("malipo_console", login.session())
        .header("X-CSRF-Token", "forged").contentType(MediaType.APPLICATION_JSON).bodyValue(resolve).exchange()
        .expectStatus().isForbidden().expectBody().returnResult(), "csrf_token_invalid");
    web.post().uri("/v1/exceptions/exc_nope/resolve").cookie("malipo_console", login.session())
        .header("X-CSRF-Token", login.csrf()).contentType(MediaType.APPLICATION_JSON).bodyValue(resolve).exchange()
        .expectStatus().isNotFound();
    // The screen's actions: refused without the CSRF header, answered with it.
    for (String action : List.of("/v1/admin/webhook_deliveries/whd_nope/redeliver", "/v1/admin/callbacks/0/reprocess")) {
      problem(web.post().uri(action).cookie("malipo_console", login.session()).exchange().expectStatus().isForbidden()
          .expectBody().returnResult(), "csrf_token_invalid");
      problem(web.post().uri(action).cookie("malipo_console", login.session()).header("X-CSRF-Token", login.csrf())
          .exchange().expectStatus().isNotFound().expectBody().returnResult(), "not_found");
    }

    web.delete().uri("/console/session").cookie("malipo_console", login.session()).exchange()
        .expectStatus().isForbidden();
    web.delete().uri("/console/session").cookie("malipo_console", login.session()).header("X-CSRF-Token", login.csrf())
        .exchange().expectStatus().isNoContent();
    problem(web.get().uri("/v1/exceptions").cookie("malipo_console", login.session()).exchange()
        .expectStatus().isUnauthorized().expectBody().returnResult(), "invalid_token");
    web.get().uri("/console/session").cookie("malipo_console", login.session()).exchange().expectStatus().isUnauthorized();
  }

  @Test
  void theRegulatorReadsTheTrialBalanceAndCannotAct() {
    ApiClients.Credentials regulator = clients.register(merchant.merchantId(), List.of("regulator")).block(DB);
    Login login = login(regulator.clientId(), regulator.clientSecret(), 201);
    assertThat(login.body().get("role").asString()).isEqualTo("regulator");
    web.get().uri("/v1/ledger/trial_balance").cookie("malipo_console", login.session()).exchange().expectStatus().isOk();
    String today = LocalDate.now(ZoneOffset.UTC).toString();
    web.get().uri("/v1/reports/volumes.csv?from=" + today + "&to=" + today).cookie("malipo_console", login.session())
        .exchange().expectStatus().isOk();
    web.get().uri("/v1/admin/reports/latency?from=" + today + "&to=" + today).cookie("malipo_console", login.session())
        .exchange().expectStatus().isOk();
    for (String path : List.of("/v1/exceptions", "/v1/admin/payments", "/v1/audit_events", "/v1/admin/callbacks")) {
      problem(web.get().uri(path).cookie("malipo_console", login.session()).exchange().expectStatus().isForbidden()
          .expectBody().returnResult(), "insufficient_scope");
    }
    problem(web.post().uri("/v1/exceptions/exc_nope/resolve").cookie("malipo_console", login.session())
        .header("X-CSRF-Token", login.csrf()).contentType(MediaType.APPLICATION_JSON)
        .bodyValue("{\"action\": \"write_off\", \"note\": \"n\"}").exchange().expectStatus().isForbidden()
        .expectBody().returnResult(), "insufficient_scope");
    problem(web.post().uri("/v1/admin/webhook_deliveries/whd_nope/redeliver").cookie("malipo_console", login.session())
        .header("X-CSRF-Token", login.csrf()).exchange().expectStatus().isForbidden()
        .expectBody().returnResult(), "insufficient_scope");
  }

  @Test
  void onlyOperatorsAndRegulatorsLogIn() {
    ApiClients.Credentials plain = clients.register(merchant.merchantId(), List.of("payments:read")).block(DB);
    problem(loginResult(plain.clientId(), plain.clientSecret(), 403), "insufficient_scope");
    problem(loginResult(plain.clientId(), "wrong", 401), "invalid_client");
    problem(web.post().uri("/console/session").contentType(MediaType.APPLICATION_JSON).bodyValue("{\"client_id\": \"x\"}")
        .exchange().expectStatus().isBadRequest().expectBody().returnResult(), "parameter_missing");
    // The form login works too.
    ApiClients.Credentials admin = clients.register(merchant.merchantId(), List.of("admin")).block(DB);
    web.post().uri("/console/session").contentType(MediaType.APPLICATION_FORM_URLENCODED)
        .bodyValue("client_id=" + admin.clientId() + "&client_secret=" + admin.clientSecret()).exchange()
        .expectStatus().isCreated();
    web.get().uri("/console").exchange().expectStatus().isOk().expectHeader()
        .valueMatches("Content-Security-Policy", ".*script-src 'self'.*");
  }

  @Test
  void anIdleSessionExpiresAndUseRenewsIt() throws InterruptedException {
    ApiClients.Credentials admin = clients.register(merchant.merchantId(), List.of("admin")).block(DB);
    Login login = login(admin.clientId(), admin.clientSecret(), 201);
    String key = sessions.key(login.session());
    redis.expire(key, Duration.ofSeconds(60)).block(DB);
    web.get().uri("/console/session").cookie("malipo_console", login.session()).exchange().expectStatus().isOk();
    // Use renewed the idle timeout (15 min by default).
    assertThat(redis.getExpire(key).block(DB)).isGreaterThan(Duration.ofMinutes(14));
    redis.expire(key, Duration.ofMillis(300)).block(DB);
    Thread.sleep(800);
    problem(web.get().uri("/v1/exceptions").cookie("malipo_console", login.session()).exchange()
        .expectStatus().isUnauthorized().expectBody().returnResult(), "invalid_token");
  }

  // --- helpers ---------------------------------------------------------------------------------

  private record Login(JsonNode body, List<String> setCookies, String session, String csrf) {}

  private Login login(String clientId, String secret, int status) {
    EntityExchangeResult<byte[]> result = loginResult(clientId, secret, status);
    List<String> cookies = result.getResponseHeaders().getOrEmpty("Set-Cookie");
    String session = cookies.stream().filter(c -> c.startsWith("malipo_console=")).findFirst().orElseThrow()
        .substring("malipo_console=".length()).split(";")[0];
    JsonNode body = json.readTree(result.getResponseBody());
    return new Login(body, cookies, session, body.get("csrf_token").asString());
  }

  private EntityExchangeResult<byte[]> loginResult(String clientId, String secret, int status) {
    return web.post().uri("/console/session").contentType(MediaType.APPLICATION_JSON)
        .bodyValue(Map.of("client_id", clientId, "client_secret", secret)).exchange()
        .expectStatus().isEqualTo(status).expectBody().returnResult();
  }

  private void problem(EntityExchangeResult<byte[]> result, String code) {
    assertThat(json.readTree(result.getResponseBody()).get("code").asString()).isEqualTo(code);
  }

  private String pay(String reference, long amount) {
    String body = """
        {"amount": %d, "currency": "KES", "reference": "%s",
         "payment_method": {"type": "mobile_money", "operator": "mpesa", "msisdn": "+254708374149"}}"""
        .formatted(amount, reference);
    return json.readTree(web.post().uri("/v1/payments").headers(h -> h.setBearerAuth(merchant.token()))
        .header("Idempotency-Key", UUID.randomUUID().toString()).contentType(MediaType.APPLICATION_JSON).bodyValue(body)
        .exchange().expectStatus().isCreated().expectBody().returnResult().getResponseBody()).get("id").asString();
  }

  private void awaitStatus(String id, String status) {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (true) {
      String now = json.readTree(web.get().uri("/v1/payments/" + id).headers(h -> h.setBearerAuth(merchant.token()))
          .exchange().expectStatus().isOk().expectBody().returnResult().getResponseBody()).get("status").asString();
      if (now.equals(status)) {
        return;
      }
      assertThat(System.nanoTime()).as("payment %s never became %s", id, status).isLessThan(deadline);
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
  }

  private List<String> statement() {
    String date = LocalDate.now(ZoneOffset.UTC).toString();
    byte[] body = web.get().uri("/v1/sandbox/rails/mpesa/statement?date={date}", date)
        .headers(h -> h.setBearerAuth(merchant.token())).exchange().expectStatus().isOk()
        .expectBody().returnResult().getResponseBody();
    return new String(body, StandardCharsets.UTF_8).lines().toList();
  }

  private String lineOf(List<String> lines, String paymentId) {
    String reference = db.sql("SELECT rail_reference FROM payment_attempts WHERE payment_id = :id AND rail_reference IS NOT NULL")
        .bind("id", paymentId).map(row -> row.get(0, String.class)).first().block(DB);
    return lines.stream().filter(line -> line.contains(reference)).findFirst()
        .orElseThrow(() -> new AssertionError("no statement line for " + paymentId));
  }

  private void upload(String csv) {
    web.post().uri("/v1/reconciliation/runs?rail=mpesa").headers(h -> h.setBearerAuth(merchant.token()))
        .contentType(MediaType.parseMediaType("text/csv")).bodyValue(csv.getBytes(StandardCharsets.UTF_8)).exchange()
        .expectStatus().isCreated();
  }
}

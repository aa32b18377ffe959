package org.malipo.gateway.refund;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.malipo.gateway.auth.ApiClients;
import org.malipo.gateway.support.IntegrationTest;
import org.malipo.gateway.support.SecondInstance;
import org.malipo.gateway.support.TestMerchants;
import org.malipo.gateway.support.TestMerchants.TestMerchant;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.data.redis.connection.RedisServerCommands.FlushOption;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.http.MediaType;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Flux;
import tools.jackson.databind.json.JsonMapper;

/**
 * Money rules under concurrency, on two gateway instances sharing PostgreSQL, Redis and Kafka:
 * duplicate requests charge once, concurrent refunds never exceed the capture, and losing Redis
 * between a request and its retry changes nothing (PostgreSQL is the guard).
 */
class ConcurrencyIntegrationTests extends IntegrationTest {

  private static final Duration WAIT = Duration.ofSeconds(90);
  private static final String CARD_PAYMENT = """
      {"amount": %d, "currency": "KES", "payment_method": {"type": "card", "number": "4242424242424242",
       "exp_month": 12, "exp_year": 2030, "cvc": "123"}}""";

  @Autowired DatabaseClient db;
  @Autowired ApiClients clients;
  @Autowired JsonMapper json;
  @Autowired ReactiveStringRedisTemplate redis;
  @Value("${local.server.port}") int port;

  private TestMerchant merchant;
  private List<WebClient> instances;

  @BeforeEach
  void setUp() {
    merchant = TestMerchants.create(db, clients, web, "payments:write", "payments:read", "refunds:write");
    String secondPort = SecondInstance.context().getEnvironment().getProperty("local.server.port");
    instances = List.of(
        WebClient.create("http://127.0.0.1:" + port),
        WebClient.create("http://127.0.0.1:" + secondPort));
  }

  /** Sends {@code count} requests at once, alternating between the two instances; returns the statuses. */
  private List<Integer> concurrently(int count, String path, String body, java.util.function.IntFunction<String> key) {
    return answers(count, path, body, key).stream().map(Answer::status).toList();
  }

  private record Answer(int status, String body) {}

  private List<Answer> answers(int count, String path, String body, java.util.function.IntFunction<String> key) {
    return Flux.range(0, count)
        .flatMap(i -> instances.get(i % 2).post().uri(path)
            .headers(h -> h.setBearerAuth(merchant.token()))
            .header("Idempotency-Key", key.apply(i))
            .contentType(MediaType.APPLICATION_JSON)
            .bodyValue(body)
            .exchangeToMono(response -> response.bodyToMono(String.class).defaultIfEmpty("")
                .map(text -> new Answer(response.statusCode().value(), text))), count)
        .collectList()
        .block(WAIT);
  }

  private long count(String sql, String bindValue) {
    return db.sql(sql).bind("v", bindValue).map(row -> row.get(0, Long.class)).one().block(WAIT);
  }

  private String pay(long amount) {
    byte[] answer = web.post().uri("/v1/payments").headers(h -> h.setBearerAuth(merchant.token()))
        .header("Idempotency-Key", UUID.randomUUID().toString()).contentType(MediaType.APPLICATION_JSON)
        .bodyValue(CARD_PAYMENT.formatted(amount)).exchange().expectStatus().isCreated()
        .expectBody().returnResult().getResponseBody();
    return json.readTree(answer).get("id").asString();
  }

  @Test
  void fiftyIdenticalRequestsOnTwoInstancesChargeOnce() {
    String key = UUID.randomUUID().toString();
    List<Answer> answers = answers(50, "/v1/payments", CARD_PAYMENT.formatted(7_000), i -> key);

    // 201 for the request that ran it and for replays after it finished (the same body); 409 while
    // it runs; 503 if a request could not get a database connection in time (nothing written).
    assertThat(answers).extracting(Answer::status).isSubsetOf(201, 409, 503);
    assertThat(answers.stream().filter(a -> a.status() == 201).map(Answer::body).distinct()).hasSizeLessThanOrEqualTo(1);
    // Once the dust settles, a retry gets the one payment.
    web.post().uri("/v1/payments").headers(h -> h.setBearerAuth(merchant.token())).header("Idempotency-Key", key)
        .contentType(MediaType.APPLICATION_JSON).bodyValue(CARD_PAYMENT.formatted(7_000)).exchange()
        .expectStatus().isCreated();
    assertThat(count("SELECT count(*) FROM payments WHERE idempotency_key = :v", key)).isEqualTo(1);
    assertThat(count("""
        SELECT count(*) FROM journal_entries e JOIN payments p ON p.id = e.payment_id
        WHERE p.idempotency_key = :v AND e.kind = 'capture'""", key)).isEqualTo(1);
    assertThat(count("""
        SELECT count(*) FROM payment_attempts a JOIN payments p ON p.id = a.payment_id
        WHERE p.idempotency_key = :v""", key)).isEqualTo(1);
  }

  @Test
  void twentyConcurrentPartialRefundsNeverExceedTheCapture() {
    pay(100_000); // enough pending balance that only the payment's own bound can refuse
    String payment = pay(10_000);
    List<Integer> statuses = concurrently(20, "/v1/payments/" + payment + "/refunds", "{\"amount\": 1500}",
        i -> UUID.randomUUID().toString());

    assertThat(statuses).isSubsetOf(201, 422, 503).contains(201, 422);
    long accepted = statuses.stream().filter(s -> s == 201).count();
    // Six refunds of 1,500 fit in 10,000; a seventh never holds a reserve at the same time. An
    // accepted refund is normally succeeded, but may be pending (rail answer unknown) or failed (rail
    // refused) under load; a failed one releases its reserve, so a later request may take its place.
    assertThat(accepted).isGreaterThanOrEqualTo(1L);
    assertThat(count("SELECT count(*) FROM refunds WHERE payment_id = :v AND status <> 'failed'", payment))
        .isBetween(1L, 6L);
    String refundRows = db.sql("SELECT string_agg(status || ':' || amount_minor, ',') FROM refunds WHERE payment_id = :v")
        .bind("v", payment).map(row -> String.valueOf(row.get(0, String.class))).one().block(WAIT);
    long succeeded = count("SELECT coalesce(sum(amount_minor), 0) FROM refunds WHERE payment_id = :v AND status = 'succeeded'", payment);
    long reserved = count("SELECT coalesce(sum(amount_minor), 0) FROM refunds WHERE payment_id = :v AND status <> 'failed'", payment);
    assertThat(succeeded).as("refunds %s", refundRows).isLessThanOrEqualTo(10_000);
    assertThat(count("SELECT refunded_minor FROM payments WHERE id = :v", payment)).as("refunds %s", refundRows)
        .isEqualTo(reserved).isLessThanOrEqualTo(10_000);
    assertThat(count("SELECT count(*) FROM refunds WHERE payment_id = :v", payment)).isEqualTo(accepted);
    assertThat(count("SELECT count(*) FROM journal_entries WHERE payment_id = :v AND kind = 'refund'", payment)).isEqualTo(accepted);
    assertThat(count("SELECT count(*) FROM journal_entries WHERE payment_id = :v AND kind = 'adjustment'", payment))
        .isEqualTo(count("SELECT count(*) FROM refunds WHERE payment_id = :v AND status = 'failed'", payment));
  }

  @Test
  void aRetryAfterRedisLostEverythingStillChargesOnce() {
    String key = UUID.randomUUID().toString();
    String body = CARD_PAYMENT.formatted(4_200);
    web.post().uri("/v1/payments").headers(h -> h.setBearerAuth(merchant.token())).header("Idempotency-Key", key)
        .contentType(MediaType.APPLICATION_JSON).bodyValue(body).exchange().expectStatus().isCreated();

    // ASYNC: the keys are gone at once and freed in the background, so a shared Redis that holds
    // other runs' keys (a benchmark's, say) cannot make FLUSHALL outlast the 500 ms command timeout.
    redis.execute(connection -> connection.serverCommands().flushAll(FlushOption.ASYNC)).blockLast(WAIT);

    SecondInstance.client().post().uri("/v1/payments").headers(h -> h.setBearerAuth(merchant.token()))
        .header("Idempotency-Key", key).contentType(MediaType.APPLICATION_JSON).bodyValue(body).exchange()
        .expectStatus().isCreated()
        .expectHeader().valueEquals("Idempotent-Replayed", "true");
    assertThat(count("SELECT count(*) FROM payments WHERE idempotency_key = :v", key)).isEqualTo(1);
  }
}

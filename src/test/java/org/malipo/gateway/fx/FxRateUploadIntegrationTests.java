package org.malipo.gateway.fx;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.malipo.gateway.auth.ApiClients;
import org.malipo.gateway.support.IntegrationTest;
import org.malipo.gateway.support.TestMerchants;
import org.malipo.gateway.support.TestMerchants.TestMerchant;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.MediaType;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.test.web.reactive.server.WebTestClient.ResponseSpec;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code POST /v1/fx_rates}: an operator adds a day's rates without a restart. New rates apply
 * from their {@code as_of}; the same file again adds nothing ({@code 200}); a malformed file is
 * {@code 400 fx_rates_invalid} naming its line and stores none of its rates; the upload is
 * audited; a merchant's token is refused. Pair GHS/NGN, which no other test converts, so the
 * shared database's rates for other pairs do not move.
 */
class FxRateUploadIntegrationTests extends IntegrationTest {

  private static final Duration DB = Duration.ofSeconds(10);
  private static final MediaType CSV = MediaType.parseMediaType("text/csv");
  private static final String HEADER = "base,quote,rate,as_of,source\n";

  @Autowired DatabaseClient db;
  @Autowired ApiClients clients;
  @Autowired JsonMapper json;

  private TestMerchant operator;

  @BeforeEach
  void operator() {
    operator = TestMerchants.create(db, clients, web, "admin");
  }

  @Test
  void anUploadedRateAppliesFromItsAsOfAndTheSameFileAgainAddsNothing() {
    // A time of its own, so a rerun against the same database is a new rate too.
    Instant asOf = Instant.now().minusSeconds(60 + ThreadLocalRandom.current().nextInt(86_000)).truncatedTo(ChronoUnit.SECONDS);
    Instant future = Instant.now().plus(Duration.ofDays(30)).truncatedTo(ChronoUnit.SECONDS);
    String file = HEADER + "GHS,NGN,132.456789,%s,central bank mid\nGHS,NGN,999,%s,tomorrow's\n".formatted(asOf, future);

    JsonNode first = body(upload(operator, file).expectStatus().isCreated());
    assertThat(first.get("object").asString()).isEqualTo("fx_rate_upload");
    assertThat(first.get("received").asInt()).isEqualTo(2);
    assertThat(first.get("added").asInt()).isEqualTo(2);

    JsonNode listed = body(web.get().uri("/v1/fx_rates").headers(h -> h.setBearerAuth(operator.token())).exchange()
        .expectStatus().isOk());
    JsonNode ghsNgn = null;
    for (JsonNode rate : listed.get("data")) {
      if (rate.get("base").asString().equals("GHS") && rate.get("quote").asString().equals("NGN")) {
        ghsNgn = rate;
      }
    }
    assertThat(ghsNgn).as("GHS/NGN in %s", listed).isNotNull();
    // The future rate waits for its as_of.
    assertThat(ghsNgn.get("rate").asString()).isEqualTo("132.456789");
    assertThat(Instant.parse(ghsNgn.get("as_of").asString())).isEqualTo(asOf);

    JsonNode again = body(upload(operator, file).expectStatus().isOk());
    assertThat(again.get("added").asInt()).isZero();
    assertThat(count("SELECT count(*) FROM fx_rates WHERE base = 'GHS' AND quote = 'NGN' AND as_of = '" + asOf + "'")).isEqualTo(1);
    assertThat(count("SELECT count(*) FROM audit_events WHERE action = 'fx_rates.uploaded'")).isGreaterThanOrEqualTo(2);
  }

  @Test
  void aMalformedFileNamesItsLineAndStoresNothing() {
    Instant asOf = Instant.now().minusSeconds(86_400 + ThreadLocalRandom.current().nextInt(86_000)).truncatedTo(ChronoUnit.SECONDS);
    long before = count("SELECT count(*) FROM fx_rates");

    JsonNode badRate = body(upload(operator, HEADER + "GHS,NGN,130,%s,ok\nGHS,NGN,-1,%s,bad\n".formatted(asOf, asOf.plusSeconds(1)))
        .expectStatus().isBadRequest());
    assertThat(badRate.get("code").asString()).isEqualTo("fx_rates_invalid");
    assertThat(badRate.get("line").asString()).isEqualTo("3");
    JsonNode badCurrency = body(upload(operator, HEADER + "GHS,XYZ,130,%s,ok\n".formatted(asOf)).expectStatus().isBadRequest());
    assertThat(badCurrency.get("line").asString()).isEqualTo("2");
    JsonNode badHeader = body(upload(operator, "quote,base,rate,as_of,source\n").expectStatus().isBadRequest());
    assertThat(badHeader.get("line").asString()).isEqualTo("1");
    assertThat(body(upload(operator, HEADER).expectStatus().isBadRequest()).get("code").asString()).isEqualTo("fx_rates_invalid");

    assertThat(count("SELECT count(*) FROM fx_rates")).isEqualTo(before);
  }

  @Test
  void aMerchantCannotUploadRates() {
    TestMerchant merchant = TestMerchants.create(db, clients, web, "payments:write", "payments:read");
    Instant asOf = Instant.now().minusSeconds(3_600).truncatedTo(ChronoUnit.SECONDS);

    assertThat(body(upload(merchant, HEADER + "GHS,NGN,1,%s,x\n".formatted(asOf)).expectStatus().isForbidden())
        .get("code").asString()).isEqualTo("insufficient_scope");
    assertThat(count("SELECT count(*) FROM fx_rates WHERE base = 'GHS' AND quote = 'NGN' AND rate = 1")).isZero();
  }

  private ResponseSpec upload(TestMerchant who, String file) {
    return web.post().uri("/v1/fx_rates").headers(h -> h.setBearerAuth(who.token())).contentType(CSV).bodyValue(file)
        .exchange();
  }

  private JsonNode body(ResponseSpec spec) {
    return json.readTree(spec.expectBody().returnResult().getResponseBody());
  }

  private long count(String sql) {
    return db.sql(sql).map(row -> row.get(0, Long.class)).one().block(DB);
  }
}

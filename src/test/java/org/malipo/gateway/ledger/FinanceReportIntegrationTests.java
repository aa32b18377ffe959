package org.malipo.gateway.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.malipo.gateway.auth.ApiClients;
import org.malipo.gateway.support.IntegrationTest;
import org.malipo.gateway.support.TestMerchants;
import org.malipo.gateway.support.TestMerchants.TestMerchant;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.MediaType;
import org.springframework.r2dbc.core.DatabaseClient;

/**
 * The finance reports (issue 23): the end-of-day trial balance balances per currency and holds a
 * day's postings only from that day on; volumes count a day's payments per rail and currency.
 */
class FinanceReportIntegrationTests extends IntegrationTest {

  @Autowired DatabaseClient db;
  @Autowired ApiClients clients;

  @Test
  void theEndOfDayTrialBalanceBalancesAndVolumesCountTheDaysPayments() {
    TestMerchant merchant = TestMerchants.create(db, clients, web, "payments:write", "payments:read", "admin");
    web.post().uri("/v1/payments").headers(h -> h.setBearerAuth(merchant.token()))
        .header("Idempotency-Key", UUID.randomUUID().toString()).contentType(MediaType.APPLICATION_JSON)
        .bodyValue("""
            {"amount": 10000, "currency": "KES", "payment_method": {"type": "card", "number": "4242424242424242",
             "exp_month": 12, "exp_year": 2030, "cvc": "123"}}""")
        .exchange().expectStatus().isCreated();
    LocalDate today = LocalDate.now(ZoneOffset.UTC);

    List<String> trial = csv(merchant, "/v1/reports/trial_balance.csv?date=" + today);
    assertThat(trial.getFirst()).isEqualTo("currency,account,normal_side,debits,credits,balance");
    List<String> totals = trial.stream().filter(line -> line.contains(",TOTAL,")).toList();
    assertThat(totals).isNotEmpty().allMatch(line -> line.endsWith(",0"));
    String pending = "merchant:" + merchant.merchantId() + ":pending:KES";
    assertThat(trial).anyMatch(line -> line.startsWith("KES," + pending + ",credit,0,9710,9710"));
    assertThat(csv(merchant, "/v1/reports/trial_balance.csv?date=" + today.minusDays(1)))
        .noneMatch(line -> line.contains(pending));

    List<String> volumes = csv(merchant, "/v1/reports/volumes.csv?from=" + today + "&to=" + today);
    assertThat(volumes.getFirst()).startsWith("date,rail,currency,payments_succeeded,payments_succeeded_amount,fees");
    assertThat(volumes.stream().skip(1).filter(line -> line.startsWith(today + ",acquirer_")).mapToLong(
        line -> Long.parseLong(line.split(",")[3])).sum()).isGreaterThanOrEqualTo(1);
  }

  @Test
  void badDatesAndNonOperatorsAreRefused() {
    TestMerchant operator = TestMerchants.create(db, clients, web, "admin");
    TestMerchant plain = TestMerchants.create(db, clients, web, "payments:read");
    web.get().uri("/v1/reports/trial_balance.csv").headers(h -> h.setBearerAuth(operator.token())).exchange()
        .expectStatus().isBadRequest().expectBody().jsonPath("$.param").isEqualTo("date");
    web.get().uri("/v1/reports/volumes.csv?from=2026-12-07&to=2026-01-01").headers(h -> h.setBearerAuth(operator.token()))
        .exchange().expectStatus().isBadRequest().expectBody().jsonPath("$.param").isEqualTo("to");
    web.get().uri("/v1/reports/volumes.csv?from=2024-01-01&to=2026-01-01").headers(h -> h.setBearerAuth(operator.token()))
        .exchange().expectStatus().isBadRequest();
    web.get().uri("/v1/reports/trial_balance.csv?date=2026-12-07").headers(h -> h.setBearerAuth(plain.token())).exchange()
        .expectStatus().isForbidden();
  }

  private List<String> csv(TestMerchant operator, String uri) {
    byte[] body = web.get().uri(uri).headers(h -> h.setBearerAuth(operator.token())).exchange().expectStatus().isOk()
        .expectHeader().contentTypeCompatibleWith(MediaType.parseMediaType("text/csv"))
        .expectBody().returnResult().getResponseBody();
    return new String(body, StandardCharsets.UTF_8).lines().toList();
  }
}

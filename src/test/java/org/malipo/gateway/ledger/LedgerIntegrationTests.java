package org.malipo.gateway.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.malipo.gateway.common.CurrencyUnit;
import org.malipo.gateway.common.Ids;
import org.malipo.gateway.common.Money;
import org.malipo.gateway.support.IntegrationTest;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.transaction.ReactiveTransactionManager;
import org.springframework.transaction.reactive.TransactionalOperator;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/**
 * The ledger stage against real PostgreSQL: what the code posts, and what the database refuses
 * whatever the code does (INVARIANTS.md 1, 4, 5, 16).
 */
class LedgerIntegrationTests extends IntegrationTest {

  private static final Duration WAIT = Duration.ofSeconds(10);

  @Autowired Ledger ledger;
  @Autowired DatabaseClient db;
  @Autowired ReactiveTransactionManager transactions;

  private TransactionalOperator tx;
  private String merchantId;
  private String paymentId;

  @BeforeEach
  void paymentToPost() {
    tx = TransactionalOperator.create(transactions);
    merchantId = Ids.next("mer");
    paymentId = Ids.next("pay");
    db.sql("INSERT INTO merchants (id, name, country) VALUES (:id, 'Ledger test', 'KE')").bind("id", merchantId)
        .then()
        .then(db.sql("""
            INSERT INTO payments (id, merchant_id, idempotency_key, status, amount_minor, currency, method_type)
            VALUES (:id, :merchant, :key, 'succeeded', 10000, 'KES', 'card')""")
            .bind("id", paymentId).bind("merchant", merchantId).bind("key", paymentId).then())
        .block(WAIT);
  }

  private Mono<String> capture() {
    return tx.transactional(ledger.postCapture(paymentId, merchantId, "acquirer_a",
        new Money(10_000, CurrencyUnit.KES), new Money(290, CurrencyUnit.KES)));
  }

  @Test
  void postsOneBalancedCaptureAndRefusesASecond() {
    capture().as(StepVerifier::create).assertNext(entry -> assertThat(entry).startsWith("je_")).verifyComplete();
    capture().as(StepVerifier::create).expectError(DataIntegrityViolationException.class).verify(WAIT);

    Long merchantBalance = db.sql("SELECT balance_minor FROM ledger_accounts WHERE id = :id")
        .bind("id", Accounts.merchantPending(merchantId, "KES")).map(row -> row.get(0, Long.class)).one().block(WAIT);
    assertThat(merchantBalance).isEqualTo(9_710);
  }

  @Test
  void refusesARefundThatWouldTakeTheMerchantBelowZero() {
    capture().block(WAIT);
    tx.transactional(ledger.postRefund(null, paymentId, merchantId, "acquirer_a", new Money(9_711, CurrencyUnit.KES), false))
        .as(StepVerifier::create)
        .expectError(InsufficientBalanceException.class)
        .verify(WAIT);
  }

  @Test
  void theDatabaseRefusesToChangeOrDeletePostings() {
    capture().block(WAIT);
    db.sql("UPDATE postings SET amount_minor = 1 WHERE entry_id IN (SELECT id FROM journal_entries WHERE payment_id = :p)")
        .bind("p", paymentId).then()
        .as(StepVerifier::create).expectError(DataIntegrityViolationException.class).verify(WAIT);
    db.sql("DELETE FROM journal_entries WHERE payment_id = :p").bind("p", paymentId).then()
        .as(StepVerifier::create).expectError(DataIntegrityViolationException.class).verify(WAIT);
  }

  @Test
  void theDatabaseRefusesAnUnbalancedEntryAtCommit() {
    String entry = Ids.next("je");
    Mono<Void> unbalanced = db.sql("INSERT INTO journal_entries (id, kind, payment_id) VALUES (:e, 'adjustment', :p)")
        .bind("e", entry).bind("p", paymentId).then()
        .then(db.sql("""
            INSERT INTO ledger_accounts (id, currency, normal_side, non_negative, balance_minor)
            VALUES ('gateway:fees:KES', 'KES', 'C', false, NULL) ON CONFLICT DO NOTHING""").then())
        .then(db.sql("""
            INSERT INTO postings (entry_id, account_id, direction, amount_minor, currency)
            VALUES (:e, 'gateway:fees:KES', 'C', 100, 'KES'), (:e, 'gateway:fees:KES', 'D', 99, 'KES')""")
            .bind("e", entry).then());
    tx.transactional(unbalanced).as(StepVerifier::create).expectError(DataIntegrityViolationException.class).verify(WAIT);
    assertThat(db.sql("SELECT count(*) FROM journal_entries WHERE id = :e").bind("e", entry)
        .map(row -> row.get(0, Long.class)).one().block(WAIT)).isZero();
  }
}

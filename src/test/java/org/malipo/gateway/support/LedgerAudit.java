package org.malipo.gateway.support;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.springframework.r2dbc.core.DatabaseClient;

/**
 * The money invariants a fault test checks afterwards (INVARIANTS.md 1, 2, 5, 15), read with the
 * gateway's own {@link DatabaseClient} of the instance under test. Test code: it blocks.
 */
public final class LedgerAudit {

  private static final Duration WAIT = Duration.ofSeconds(10);

  private LedgerAudit() {}

  /**
   * Asserts: every currency and every journal entry balanced, every cached balance equal to its
   * postings, and for the merchant's payments exactly one capture per {@code succeeded} payment
   * and none for any other.
   */
  public static void assertHolds(DatabaseClient db, String merchantId) {
    List<Map<String, Object>> unbalancedCurrencies = db.sql("""
            SELECT currency FROM postings GROUP BY currency
            HAVING sum(CASE WHEN direction = 'D' THEN amount_minor ELSE -amount_minor END) <> 0""")
        .fetch().all().collectList().block(WAIT);
    assertThat(unbalancedCurrencies).as("currencies whose debits and credits differ").isEmpty();

    List<Map<String, Object>> unbalancedEntries = db.sql("""
            SELECT entry_id FROM postings GROUP BY entry_id, currency
            HAVING sum(CASE WHEN direction = 'D' THEN amount_minor ELSE -amount_minor END) <> 0""")
        .fetch().all().collectList().block(WAIT);
    assertThat(unbalancedEntries).as("unbalanced journal entries").isEmpty();

    List<Map<String, Object>> cachedWrong = db.sql("""
            SELECT a.id FROM ledger_accounts a LEFT JOIN postings p ON p.account_id = a.id
            GROUP BY a.id, a.balance_minor
            HAVING a.balance_minor <> coalesce(sum(CASE WHEN p.direction = a.normal_side THEN p.amount_minor
                                                        ELSE -p.amount_minor END), 0)""")
        .fetch().all().collectList().block(WAIT);
    assertThat(cachedWrong).as("accounts whose cached balance differs from their postings").isEmpty();

    Map<String, Object> captures = db.sql("""
            SELECT count(*) FILTER (WHERE p.status = 'succeeded' AND (SELECT count(*) FROM journal_entries e
                       WHERE e.payment_id = p.id AND e.kind = 'capture') <> 1) AS wrong,
                   count(*) FILTER (WHERE p.status <> 'succeeded' AND EXISTS (SELECT 1 FROM journal_entries e
                       WHERE e.payment_id = p.id AND e.kind = 'capture')) AS unexpected
            FROM payments p WHERE p.merchant_id = :merchant""")
        .bind("merchant", merchantId).fetch().one().block(WAIT);
    assertThat(((Number) captures.get("wrong")).longValue()).as("succeeded payments without exactly one capture").isZero();
    assertThat(((Number) captures.get("unexpected")).longValue()).as("captures of payments that did not succeed").isZero();
  }
}

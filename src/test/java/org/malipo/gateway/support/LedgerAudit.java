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
    assertPayoutsHold(db, merchantId);
    assertAuthorizationHolds(db, merchantId);
  }

  /**
   * The merchant's held balance in {@code currency} from its postings (credit-normal), minor units:
   * zero once every authorization hold is captured, voided or expired.
   */
  public static long heldBalance(DatabaseClient db, String merchantId, String currency) {
    return db.sql("""
            SELECT coalesce(sum(CASE WHEN p.direction = 'C' THEN p.amount_minor ELSE -p.amount_minor END), 0)
            FROM postings p WHERE p.account_id = :held""")
        .bind("held", "merchant:" + merchantId + ":held:" + currency).map(row -> row.get(0, Long.class)).one().block(WAIT);
  }

  /** Debits minus credits over every posting, minor units: zero when the trial balance balances. */
  public static long trialBalanceDifference(DatabaseClient db) {
    return db.sql("SELECT coalesce(sum(CASE WHEN direction = 'D' THEN amount_minor ELSE -amount_minor END), 0) FROM postings")
        .map(row -> row.get(0, Long.class)).one().block(WAIT);
  }

  /**
   * The hold invariants of manual capture (INVARIANTS.md 5 and 6 as extended by
   * docs/adr/0082-authorization-holds.md): a captured amount is at most the authorized amount; a
   * {@code requires_capture} payment has exactly one hold and no release; a payment that was held
   * and is final has exactly one hold and one release (released exactly once); no other payment
   * has either; the merchant's held balance equals the amounts of its {@code requires_capture}
   * payments, per currency.
   */
  public static void assertAuthorizationHolds(DatabaseClient db, String merchantId) {
    Map<String, Object> holds = db.sql("""
            SELECT count(*) FILTER (WHERE p.amount_captured_minor > p.amount_minor) AS over_captured,
                   count(*) FILTER (WHERE p.status = 'requires_capture' AND (h.holds <> 1 OR h.releases <> 0)) AS open_wrong,
                   count(*) FILTER (WHERE p.capture_method = 'manual' AND p.status IN ('succeeded', 'canceled')
                       AND p.authorized_at IS NOT NULL AND (h.holds <> 1 OR h.releases <> 1)) AS closed_wrong,
                   count(*) FILTER (WHERE p.authorized_at IS NULL AND (h.holds <> 0 OR h.releases <> 0)) AS unexpected
            FROM payments p,
                LATERAL (SELECT count(*) FILTER (WHERE e.kind = 'hold') AS holds,
                                count(*) FILTER (WHERE e.kind = 'hold_release') AS releases
                         FROM journal_entries e WHERE e.payment_id = p.id) h
            WHERE p.merchant_id = :merchant""")
        .bind("merchant", merchantId).fetch().one().block(WAIT);
    assertThat(((Number) holds.get("over_captured")).longValue()).as("captured more than authorized").isZero();
    assertThat(((Number) holds.get("open_wrong")).longValue()).as("held payments without exactly one hold").isZero();
    assertThat(((Number) holds.get("closed_wrong")).longValue()).as("holds not released exactly once").isZero();
    assertThat(((Number) holds.get("unexpected")).longValue()).as("holds of payments never held").isZero();
    List<Map<String, Object>> heldWrong = db.sql("""
            SELECT a.currency FROM ledger_accounts a
            WHERE a.id = 'merchant:' || :merchant || ':held:' || a.currency
              AND a.balance_minor <> coalesce((SELECT sum(p.amount_minor) FROM payments p WHERE p.merchant_id = :merchant
                                               AND p.status = 'requires_capture' AND p.currency = a.currency), 0)""")
        .bind("merchant", merchantId).fetch().all().collectList().block(WAIT);
    assertThat(heldWrong).as("held balances that differ from the open authorizations").isEmpty();
  }

  /**
   * The payout invariants (INVARIANTS.md 19, 20): each payout has one reservation; a succeeded one
   * exactly one payout entry and no release, a failed one exactly one release and no payout entry,
   * a pending one neither; the merchant's reserved balance equals amount plus fee of its pending
   * payouts, per currency.
   */
  public static void assertPayoutsHold(DatabaseClient db, String merchantId) {
    Map<String, Object> payouts = db.sql("""
            SELECT count(*) FILTER (WHERE e.reserved <> 1) AS unreserved,
                   count(*) FILTER (WHERE NOT ((p.status = 'succeeded' AND e.paid = 1 AND e.released = 0)
                       OR (p.status = 'failed' AND e.paid = 0 AND e.released = 1)
                       OR (p.status = 'pending' AND e.paid = 0 AND e.released = 0))) AS wrong_end
            FROM payouts p, LATERAL (SELECT count(*) FILTER (WHERE kind = 'payout_reserve') AS reserved,
                                            count(*) FILTER (WHERE kind = 'payout') AS paid,
                                            count(*) FILTER (WHERE kind = 'payout_release') AS released
                                     FROM journal_entries WHERE payout_id = p.id) e
            WHERE p.merchant_id = :merchant""")
        .bind("merchant", merchantId).fetch().one().block(WAIT);
    assertThat(((Number) payouts.get("unreserved")).longValue()).as("payouts without exactly one reservation").isZero();
    assertThat(((Number) payouts.get("wrong_end")).longValue())
        .as("payouts whose ledger end (payout entry or release) does not match their status").isZero();
    List<Map<String, Object>> reservedWrong = db.sql("""
            SELECT c.currency FROM (SELECT DISTINCT currency FROM payouts WHERE merchant_id = :merchant) c
            WHERE coalesce((SELECT balance_minor FROM ledger_accounts
                            WHERE id = 'merchant:' || :merchant || ':payout_reserved:' || c.currency), 0)
               <> coalesce((SELECT sum(amount_minor + fee_minor) FROM payouts
                            WHERE merchant_id = :merchant AND currency = c.currency AND status = 'pending'), 0)""")
        .bind("merchant", merchantId).fetch().all().collectList().block(WAIT);
    assertThat(reservedWrong).as("currencies whose reserved balance differs from the pending payouts").isEmpty();
  }
}

package org.malipo.gateway.reconciliation;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.malipo.gateway.audit.AuditAction;
import org.malipo.gateway.audit.AuditContext;
import org.malipo.gateway.audit.AuditLog;
import org.malipo.gateway.common.CurrencyUnit;
import org.malipo.gateway.common.Ids;
import org.malipo.gateway.common.Money;
import org.malipo.gateway.ledger.Accounts;
import org.malipo.gateway.ledger.Ledger;
import org.malipo.gateway.ledger.Ledger.Posting;
import org.malipo.gateway.payment.PaymentResolutions;
import org.malipo.gateway.payment.PaymentStatus;
import org.malipo.gateway.rail.RailOutcome;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.ReactiveTransactionManager;
import org.springframework.transaction.reactive.TransactionalOperator;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reconciliation runs (issue 23, docs/reconciliation.md): one uploaded statement, read, matched
 * against the gateway's payments, recorded with its items, its exceptions and its one journal
 * entry in one transaction. The steps: {@code fingerprint → replayIfKnown → parse →
 * settleLostAnswers → loadRecords → match → record}.
 *
 * <p>Runs of one rail are serialised by a transaction-scoped advisory lock, so two uploads can
 * neither pair one payment twice nor record one file twice (the unique (rail, SHA-256) guards too).
 * Lines whose payment is still pending or processing (the rail's answer was lost) are first
 * settled through the payment core's one writer ({@link PaymentResolutions#apply}), each in its own
 * transaction, before the run's: a crash between them leaves settled payments that a retried
 * upload simply finds succeeded.
 */
@Component
@EnableConfigurationProperties(ReconciliationProperties.class)
final class ReconciliationRuns {

  private static final Logger log = LoggerFactory.getLogger(ReconciliationRuns.class);

  private final DatabaseClient db;
  private final Ledger ledger;
  private final PaymentResolutions resolutions;
  private final AuditLog audit;
  private final ReconciliationProperties properties;
  private final TransactionalOperator tx;
  private final JsonMapper json = JsonMapper.builder().build();

  ReconciliationRuns(DatabaseClient db, Ledger ledger, PaymentResolutions resolutions, AuditLog audit,
      ReconciliationProperties properties, ReactiveTransactionManager transactionManager) {
    this.db = db;
    this.ledger = ledger;
    this.resolutions = resolutions;
    this.audit = audit;
    this.properties = properties;
    this.tx = TransactionalOperator.create(transactionManager);
  }

  /** A run and whether this upload created it ({@code 201}) or found it ({@code 200}). */
  record Upload(ReconciliationRun run, boolean created) {}

  /**
   * Reconciles one statement of {@code rail}.
   *
   * @return the run; error {@link StatementInvalidException} for a malformed file (nothing recorded)
   */
  Mono<Upload> upload(String rail, StatementFormat format, byte[] body, AuditContext context) {
    String sha256 = sha256(body);
    return findByContent(rail, sha256)
        .map(run -> new Upload(run, false))
        .switchIfEmpty(Mono.defer(() -> {
          List<StatementLine> lines = StatementParser.parse(format, body);
          return settleLostAnswers(rail, lines)
              .flatMap(settled -> tx.transactional(record(rail, sha256, lines, settled, context)));
        }));
  }

  /** Settles, through the payment core, pending or processing payments that a line says were paid. */
  private Mono<Set<String>> settleLostAnswers(String rail, List<StatementLine> lines) {
    return Flux.fromIterable(lines)
        .filter(line -> line.railReference() != null && !line.moneyOut())
        .flatMap(line -> resolutions.findAttempt(rail, line.railReference(), null)
            .filter(attempt -> attempt.status() == PaymentStatus.PENDING || attempt.status() == PaymentStatus.PROCESSING)
            .flatMap(attempt -> tx.transactional(resolutions.apply(attempt, new RailOutcome.Approved(rail,
                    line.railReference(), line.receipt() == null ? "0" : line.receipt())))
                .filter(result -> result == PaymentResolutions.Result.APPLIED)
                .doOnNext(result -> log.info("payment {}: settled from {} statement line {}", attempt.paymentId(), rail,
                    line.line()))
                .map(result -> attempt.paymentId())), properties.settleLostAnswersConcurrency())
        .collect(java.util.stream.Collectors.toSet());
  }

  private Mono<Upload> record(String rail, String sha256, List<StatementLine> lines, Set<String> settled,
      AuditContext context) {
    String currency = lines.getFirst().currency();
    Instant start = lines.stream().map(StatementLine::completedAt).min(Instant::compareTo).orElseThrow()
        .atZone(ZoneOffset.UTC).truncatedTo(ChronoUnit.DAYS).toInstant();
    Instant end = lines.stream().map(StatementLine::completedAt).max(Instant::compareTo).orElseThrow()
        .atZone(ZoneOffset.UTC).truncatedTo(ChronoUnit.DAYS).plusDays(1).toInstant();
    return db.sql("SELECT pg_advisory_xact_lock(hashtext(:key))").bind("key", "reconciliation:" + rail).then()
        // Another upload of the same file may have committed while this one waited for the lock.
        .then(findByContent(rail, sha256).map(run -> new Upload(run, false)))
        .switchIfEmpty(Mono.defer(() -> records(rail, currency, start, end, lines)
            .flatMap(records -> {
              Integer bp = properties.railFeeBasisPoints().get(rail);
              CurrencyUnit unit = CurrencyUnit.fromCode(currency).orElseThrow();
              List<Matcher.Item> items = Matcher.match(lines, records,
                  gross -> bp == null ? null : new Money(gross, unit).basisPoints(bp).amountMinor());
              return write(rail, sha256, start, end, currency, items, lines, settled, context);
            })
            .map(run -> new Upload(run, true))));
  }

  private Mono<List<Matcher.Record>> records(String rail, String currency, Instant start, Instant end,
      List<StatementLine> lines) {
    String[] references = lines.stream().map(StatementLine::railReference).filter(r -> r != null).distinct()
        .toArray(String[]::new);
    String[] receipts = lines.stream().map(StatementLine::receipt).filter(r -> r != null).distinct()
        .toArray(String[]::new);
    return db.sql("""
            SELECT p.id, p.merchant_id, a.rail_reference, a.response_code,
                   -- A manual capture settles what was captured, possibly part of the authorization.
                   COALESCE(p.amount_captured_minor, p.amount_minor) AS amount_minor, p.currency, p.status,
                   c.created_at AS captured_at,
                   (p.status = 'succeeded' AND p.currency = :currency AND c.created_at >= :start AND c.created_at < :end)
                       AS in_period,
                   EXISTS (SELECT 1 FROM reconciliation_items i WHERE i.payment_id = p.id
                           AND i.result IN ('matched', 'amount_mismatch', 'fee_mismatch', 'missing_in_gateway')) AS paired,
                   EXISTS (SELECT 1 FROM reconciliation_items i WHERE i.payment_id = p.id
                           AND i.result = 'missing_in_rail') AS reported
            FROM payment_attempts a
            JOIN payments p ON p.id = a.payment_id
            LEFT JOIN journal_entries c ON c.payment_id = p.id AND c.kind = 'capture'
            WHERE a.rail = :rail
              AND ((p.status = 'succeeded' AND a.outcome = 'approved')
                   OR (p.status = 'failed' AND EXISTS (SELECT 1 FROM journal_entries l
                                                       WHERE l.payment_id = p.id AND l.kind = 'late_funds')))
              AND ((p.status = 'succeeded' AND p.currency = :currency AND c.created_at >= :start AND c.created_at < :end)
                   OR a.rail_reference = ANY(CAST(:references AS text[]))
                   OR a.response_code = ANY(CAST(:receipts AS text[])))
            ORDER BY p.id""")
        .bind("rail", rail).bind("currency", currency).bind("start", start).bind("end", end)
        .bind("references", references).bind("receipts", receipts)
        .map(row -> new Matcher.Record(row.get("id", String.class), row.get("merchant_id", String.class),
            row.get("rail_reference", String.class), row.get("response_code", String.class),
            row.get("amount_minor", Long.class), row.get("currency", String.class),
            "succeeded".equals(row.get("status", String.class)), Boolean.TRUE.equals(row.get("in_period", Boolean.class)),
            Boolean.TRUE.equals(row.get("paired", Boolean.class)), Boolean.TRUE.equals(row.get("reported", Boolean.class)),
            row.get("captured_at", Instant.class)))
        .all()
        .concatWith(moneyOut(rail, currency, start, end, references, receipts))
        .collectList();
  }

  /**
   * The succeeded payouts and refunds of {@code rail} the statement may report as money out: those
   * paid in the period (their {@code payout} or {@code refund} journal entry) in its currency, and
   * those its lines name. Amounts negative, like their lines.
   */
  private Flux<Matcher.Record> moneyOut(String rail, String currency, Instant start, Instant end, String[] references,
      String[] receipts) {
    // One statement for both kinds; a refund's rail reference is the rail's id of the money going
    // back (M-Pesa: the reversal's TransactionID, which is also its receipt), so it serves as both keys.
    return db.sql("""
            SELECT 'payout' AS kind, o.id, o.merchant_id, o.rail_reference, o.rail_receipt AS receipt, o.amount_minor,
                   o.currency, j.created_at AS paid_at,
                   (o.currency = :currency AND j.created_at >= :start AND j.created_at < :end) AS in_period,
                   EXISTS (SELECT 1 FROM reconciliation_items i WHERE i.payout_id = o.id
                           AND i.result IN ('matched', 'amount_mismatch', 'fee_mismatch', 'missing_in_gateway')) AS paired,
                   EXISTS (SELECT 1 FROM reconciliation_items i WHERE i.payout_id = o.id
                           AND i.result = 'missing_in_rail') AS reported
            FROM payouts o
            LEFT JOIN journal_entries j ON j.payout_id = o.id AND j.kind = 'payout'
            WHERE o.rail = :rail AND o.status = 'succeeded'
              AND ((o.currency = :currency AND j.created_at >= :start AND j.created_at < :end)
                   OR o.rail_reference = ANY(CAST(:references AS text[]))
                   OR o.rail_receipt = ANY(CAST(:receipts AS text[])))
            UNION ALL
            SELECT 'refund', r.id, r.merchant_id, r.rail_reference, r.rail_reference, r.amount_minor,
                   r.currency, r.updated_at,
                   (r.currency = :currency AND r.updated_at >= :start AND r.updated_at < :end),
                   EXISTS (SELECT 1 FROM reconciliation_items i WHERE i.refund_id = r.id
                           AND i.result IN ('matched', 'amount_mismatch', 'fee_mismatch', 'missing_in_gateway')),
                   EXISTS (SELECT 1 FROM reconciliation_items i WHERE i.refund_id = r.id
                           AND i.result = 'missing_in_rail')
            FROM refunds r
            WHERE r.rail = :rail AND r.status = 'succeeded'
              AND ((r.currency = :currency AND r.updated_at >= :start AND r.updated_at < :end)
                   OR r.rail_reference = ANY(CAST(:references AS text[]))
                   OR r.rail_reference = ANY(CAST(:receipts AS text[])))
            ORDER BY kind, id""")
        .bind("rail", rail).bind("currency", currency).bind("start", start).bind("end", end)
        .bind("references", references).bind("receipts", receipts)
        .map(row -> moneyOutRecord(row, "payout".equals(row.get("kind", String.class))
            ? Matcher.Kind.PAYOUT : Matcher.Kind.REFUND))
        .all();
  }

  private static Matcher.Record moneyOutRecord(io.r2dbc.spi.Readable row, Matcher.Kind kind) {
    return new Matcher.Record(row.get("id", String.class), row.get("merchant_id", String.class),
        row.get("rail_reference", String.class), row.get("receipt", String.class),
        -row.get("amount_minor", Long.class), row.get("currency", String.class).strip(), true,
        Boolean.TRUE.equals(row.get("in_period", Boolean.class)), Boolean.TRUE.equals(row.get("paired", Boolean.class)),
        Boolean.TRUE.equals(row.get("reported", Boolean.class)), row.get("paid_at", Instant.class), kind);
  }

  /** The run row, its items, exceptions and journal entry, and the cases it closes. */
  private Mono<ReconciliationRun> write(String rail, String sha256, Instant start, Instant end, String currency,
      List<Matcher.Item> items, List<StatementLine> lines, Set<String> settled, AuditContext context) {
    String runId = Ids.next("rec");
    int[] counts = new int[Matcher.Result.values().length];
    long railAmount = 0;
    long gatewayAmount = 0;
    List<Posting> postings = new ArrayList<>();
    List<Mono<Void>> writes = new ArrayList<>();
    List<String> suspenseCases = new ArrayList<>();
    List<String> pairedPayments = new ArrayList<>();
    List<String> pairedPayouts = new ArrayList<>();
    List<String> pairedRefunds = new ArrayList<>();
    for (Matcher.Item item : items) {
      counts[item.result().ordinal()]++;
      StatementLine line = item.line();
      Matcher.Record record = item.record();
      if (line != null) {
        railAmount = Math.addExact(railAmount, line.amountMinor());
      }
      if (record != null && record.succeeded()) {
        gatewayAmount = Math.addExact(gatewayAmount, record.amountMinor());
      }
      long suspense = 0;
      if (line != null) {
        // The money the rail settled: net into its bank account, its fee as our expense. Signed:
        // a money-out line (negative) takes from the bank account and clears the credit its
        // payout or refund left at the clearing account, the other direction (ADR 0087).
        long fee = line.feeMinor() == null ? 0 : line.feeMinor();
        addSigned(postings, Accounts.settlementBank(rail, currency), true, line.amountMinor() - fee);
        addSigned(postings, Accounts.railFees(currency), true, fee);
        long cleared = record == null ? 0 : record.amountMinor();
        addSigned(postings, Accounts.railClearing(rail, currency), false, cleared);
        suspense = line.amountMinor() - cleared;
        addSigned(postings, Accounts.suspense(currency), false, suspense);
        if (record != null) {
          (record.kind() == Matcher.Kind.PAYMENT ? pairedPayments
              : record.kind() == Matcher.Kind.PAYOUT ? pairedPayouts : pairedRefunds).add(record.id());
        }
      }
      String exceptionId = item.result() == Matcher.Result.MATCHED ? null : Ids.next("exc");
      if (exceptionId != null) {
        long held = item.result() == Matcher.Result.MISSING_IN_GATEWAY && record != null
            ? line.amountMinor() // the late funds already in suspense plus this line's difference
            : suspense;
        if (held != 0) {
          suspenseCases.add(exceptionId);
        }
        writes.add(openCase(exceptionId, runId, item, rail, currency, held));
      }
      writes.add(insertItem(runId, item, currency, settled, exceptionId));
    }
    long rail0 = railAmount;
    long gateway0 = gatewayAmount;
    Mono<Void> runRow = db.sql("""
            INSERT INTO reconciliation_runs (id, rail, content_sha256, period_start, period_end, status, matched,
                amount_mismatch, fee_mismatch, missing_in_rail, missing_in_gateway, rail_amount_minor,
                gateway_amount_minor, currency)
            VALUES (:id, :rail, :sha, :start, :end, 'completed', :m, :am, :fm, :mr, :mg, :ra, :ga, :currency)""")
        .bind("id", runId).bind("rail", rail).bind("sha", sha256).bind("start", start).bind("end", end)
        .bind("m", counts[0]).bind("am", counts[1]).bind("fm", counts[2]).bind("mr", counts[3]).bind("mg", counts[4])
        .bind("ra", rail0).bind("ga", gateway0).bind("currency", currency)
        .then();
    Mono<Void> entry = postings.isEmpty() ? Mono.empty()
        : ledger.postReconciliation(runId, currency, postings)
            .flatMap(entryId -> db.sql("UPDATE reconciliation_runs SET journal_entry = :entry WHERE id = :id")
                .bind("entry", entryId).bind("id", runId).then()
                .then(suspenseCases.isEmpty() ? Mono.empty()
                    : db.sql("UPDATE payment_exceptions SET suspense_entry = :entry WHERE id = ANY(CAST(:ids AS text[]))")
                        .bind("entry", entryId).bind("ids", suspenseCases.toArray(String[]::new)).then()));
    Mono<Void> closeMoneyOutCases = pairedPayouts.isEmpty() && pairedRefunds.isEmpty() ? Mono.empty() : db.sql("""
            UPDATE payment_exceptions SET resolved_at = now(), resolution = 'matched_later',
                   resolution_note = 'closed by reconciliation run ' || :run, resolved_by = 'reconciliation'
            WHERE resolved_at IS NULL AND kind = 'missing_in_rail'
              AND (payout_id = ANY(CAST(:payouts AS text[])) OR refund_id = ANY(CAST(:refunds AS text[])))""")
        .bind("run", runId).bind("payouts", pairedPayouts.toArray(String[]::new))
        .bind("refunds", pairedRefunds.toArray(String[]::new)).then();
    Mono<Void> closeCases = pairedPayments.isEmpty() ? closeMoneyOutCases : closeMoneyOutCases.then(db.sql("""
            UPDATE payment_exceptions SET resolved_at = now(),
                   resolution = CASE WHEN kind = 'missing_in_rail' THEN 'matched_later' ELSE 'settled_by_statement' END,
                   resolution_note = 'closed by reconciliation run ' || :run, resolved_by = 'reconciliation'
            WHERE resolved_at IS NULL AND payment_id = ANY(CAST(:payments AS text[]))
              AND (kind = 'missing_in_rail' OR (kind = 'unknown_attempt' AND payment_id = ANY(CAST(:settled AS text[]))))""")
        .bind("run", runId).bind("payments", pairedPayments.toArray(String[]::new))
        .bind("settled", settled.toArray(String[]::new)).then());
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("rail", rail);
    details.put("lines", lines.size());
    details.put("sha256", sha256);
    return runRow
        .then(Flux.concat(writes).then())
        .then(entry)
        .then(closeCases)
        .then(audit.record(context, AuditAction.RECONCILIATION_RUN_CREATED, runId, details))
        .then(find(runId));
  }

  /** Posts {@code signedMinor} on the {@code debit} side when positive, on the other when negative. */
  private static void addSigned(List<Posting> postings, String account, boolean debit, long signedMinor) {
    if (signedMinor != 0) {
      postings.add(new Posting(account, signedMinor > 0 == debit, Math.abs(signedMinor)));
    }
  }

  private Mono<Void> insertItem(String runId, Matcher.Item item, String currency, Set<String> settled,
      String exceptionId) {
    StatementLine line = item.line();
    Matcher.Record record = item.record();
    return db.sql("""
            INSERT INTO reconciliation_items (id, run_id, line, result, rail_reference, receipt, payment_id, payout_id,
                refund_id, rail_amount_minor, gateway_amount_minor, rail_fee_minor, expected_fee_minor, currency,
                settled_payment, exception_id, detail)
            VALUES (:id, :run, :line, :result, :reference, :receipt, :payment, :payout, :refund, :rail_amount,
                :gateway_amount, :fee, :expected_fee, :currency, :settled, :exception, :detail)""")
        .bind("id", Ids.next("rci")).bind("run", runId)
        .bind("line", param(line == null ? null : line.line(), Integer.class))
        .bind("result", item.result().wireName())
        .bind("reference", param(line != null ? line.railReference() : record.railReference(), String.class))
        .bind("receipt", param(line != null ? line.receipt() : record.receipt(), String.class))
        .bind("payment", param(idOf(record, Matcher.Kind.PAYMENT), String.class))
        .bind("payout", param(idOf(record, Matcher.Kind.PAYOUT), String.class))
        .bind("refund", param(idOf(record, Matcher.Kind.REFUND), String.class))
        .bind("rail_amount", param(line == null ? null : line.amountMinor(), Long.class))
        .bind("gateway_amount", param(record == null ? null : record.amountMinor(), Long.class))
        .bind("fee", param(line == null ? null : line.feeMinor(), Long.class))
        .bind("expected_fee", param(item.expectedFeeMinor(), Long.class))
        .bind("currency", currency)
        .bind("settled", record != null && settled.contains(record.id()))
        .bind("exception", param(exceptionId, String.class))
        .bind("detail", param(item.detail(), String.class))
        .then();
  }

  /** The record's id when it is of {@code kind}, else null. */
  private static String idOf(Matcher.Record record, Matcher.Kind kind) {
    return record != null && record.kind() == kind ? record.id() : null;
  }

  /**
   * Opens the exception of a non-matched item, with its evidence.
   *
   * @param suspenseMinor what the run holds in suspense for it, signed (credit positive)
   */
  private Mono<Void> openCase(String id, String runId, Matcher.Item item, String rail, String currency,
      long suspenseMinor) {
    StatementLine line = item.line();
    Matcher.Record record = item.record();
    long amount = Math.abs(switch (item.result()) {
      case AMOUNT_MISMATCH -> line.amountMinor() - record.amountMinor();
      case FEE_MISMATCH -> line.feeMinor() - item.expectedFeeMinor();
      case MISSING_IN_RAIL -> record.amountMinor();
      default -> line.amountMinor();
    });
    Map<String, Object> evidence = new LinkedHashMap<>();
    if (line != null) {
      evidence.put("statement_line", line.line());
      evidence.put("rail_reference", line.railReference());
      evidence.put("receipt", line.receipt());
      evidence.put("rail_amount", line.amountMinor());
      evidence.put("rail_fee", line.feeMinor());
      evidence.put("completed_at", line.completedAt().toString());
    }
    if (record != null) {
      evidence.put(record.kind().name().toLowerCase(java.util.Locale.ROOT) + "_id", record.id());
      evidence.put("gateway_amount", record.amountMinor());
      evidence.put("gateway_reference", record.railReference());
    }
    if (item.expectedFeeMinor() != null) {
      evidence.put("expected_fee", item.expectedFeeMinor());
    }
    // A duplicate line names its record in the evidence only: the case is about the line's money.
    return db.sql("""
            INSERT INTO payment_exceptions (id, kind, payment_id, payout_id, refund_id, merchant_id, rail, amount_minor,
                currency, detail, suspense_minor, clearing_minor, reconciliation_run_id, evidence)
            VALUES (:id, :kind, :payment, :payout, :refund, :merchant, :rail, :amount, :currency, :detail, :suspense,
                :clearing, :run, CAST(:evidence AS jsonb))""")
        .bind("id", id).bind("kind", item.result().wireName())
        .bind("payment", param(idOf(record, Matcher.Kind.PAYMENT), String.class))
        .bind("payout", param(idOf(record, Matcher.Kind.PAYOUT), String.class))
        .bind("refund", param(idOf(record, Matcher.Kind.REFUND), String.class))
        .bind("merchant", param(record == null ? null : record.merchantId(), String.class))
        .bind("rail", rail).bind("amount", amount).bind("currency", currency)
        .bind("detail", item.detail())
        .bind("suspense", suspenseMinor)
        .bind("clearing", item.result() == Matcher.Result.MISSING_IN_RAIL ? record.amountMinor() : 0L)
        .bind("run", runId)
        .bind("evidence", json.writeValueAsString(evidence))
        .then();
  }

  private Mono<ReconciliationRun> findByContent(String rail, String sha256) {
    return db.sql(SELECT_RUN + " WHERE rail = :rail AND content_sha256 = :sha").bind("rail", rail).bind("sha", sha256)
        .map(ReconciliationRuns::run).first();
  }

  /** The run, or empty. */
  Mono<ReconciliationRun> find(String id) {
    return db.sql(SELECT_RUN + " WHERE id = :id").bind("id", id).map(ReconciliationRuns::run).first();
  }

  /**
   * One stored item.
   *
   * @param line null for {@code missing_in_rail}
   * @param railAmount the line's amount, signed (negative = money out), or null
   * @param gatewayAmount the record's amount, signed like the line, or null
   */
  record ItemRow(String id, String runId, Integer line, String result, String railReference, String receipt,
      String paymentId, String payoutId, String refundId, Long railAmount, Long gatewayAmount, Long railFee, Long expectedFee, String currency,
      boolean settledPayment, String exceptionId, String detail) {}

  /**
   * A page of a run's items in line order (then the payments missing in the rail).
   *
   * @param result a result's wire name, or null for all
   * @param startingAfter the last item id of the previous page, or null
   */
  Flux<ItemRow> items(String runId, String result, int limit, String startingAfter) {
    StringBuilder sql = new StringBuilder("""
        SELECT id, run_id, line, result, rail_reference, receipt, payment_id, payout_id, refund_id, rail_amount_minor,
               gateway_amount_minor,
               rail_fee_minor, expected_fee_minor, currency, settled_payment, exception_id, detail
        FROM reconciliation_items WHERE run_id = :run""");
    if (result != null) {
      sql.append(" AND result = :result");
    }
    if (startingAfter != null) {
      sql.append(" AND id > :after");
    }
    sql.append(" ORDER BY id LIMIT :limit");
    DatabaseClient.GenericExecuteSpec spec = db.sql(sql.toString()).bind("run", runId).bind("limit", limit);
    if (result != null) {
      spec = spec.bind("result", result);
    }
    if (startingAfter != null) {
      spec = spec.bind("after", startingAfter);
    }
    return spec.map(row -> new ItemRow(row.get("id", String.class), row.get("run_id", String.class),
            row.get("line", Integer.class), row.get("result", String.class), row.get("rail_reference", String.class),
            row.get("receipt", String.class), row.get("payment_id", String.class), row.get("payout_id", String.class),
            row.get("refund_id", String.class), row.get("rail_amount_minor", Long.class), row.get("gateway_amount_minor", Long.class),
            row.get("rail_fee_minor", Long.class), row.get("expected_fee_minor", Long.class),
            row.get("currency", String.class), Boolean.TRUE.equals(row.get("settled_payment", Boolean.class)),
            row.get("exception_id", String.class), row.get("detail", String.class)))
        .all();
  }

  private static final String SELECT_RUN = """
      SELECT id, rail, period_start, period_end, status, matched, amount_mismatch, fee_mismatch, missing_in_rail,
             missing_in_gateway, rail_amount_minor, gateway_amount_minor, currency, journal_entry, created_at
      FROM reconciliation_runs""";

  private static ReconciliationRun run(io.r2dbc.spi.Readable row) {
    return new ReconciliationRun(row.get("id", String.class), row.get("rail", String.class),
        row.get("period_start", Instant.class), row.get("period_end", Instant.class), row.get("status", String.class),
        new ReconciliationRun.Counts(row.get("matched", Integer.class), row.get("amount_mismatch", Integer.class),
            row.get("fee_mismatch", Integer.class), row.get("missing_in_rail", Integer.class),
            row.get("missing_in_gateway", Integer.class)),
        row.get("rail_amount_minor", Long.class), row.get("gateway_amount_minor", Long.class),
        row.get("currency", String.class).strip(), row.get("journal_entry", String.class),
        row.get("created_at", Instant.class));
  }

  private static String sha256(byte[] body) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JDK", e);
    }
  }

  private static <T> io.r2dbc.spi.Parameter param(T value, Class<T> type) {
    return value == null ? io.r2dbc.spi.Parameters.in(type) : io.r2dbc.spi.Parameters.in(value);
  }
}

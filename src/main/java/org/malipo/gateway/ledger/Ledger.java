package org.malipo.gateway.ledger;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.malipo.gateway.common.Ids;
import org.malipo.gateway.common.Money;
import org.malipo.gateway.common.SingleStatement;
import org.malipo.gateway.fx.FxConversion;
import org.malipo.gateway.fx.FxRate;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * The double-entry ledger (DESIGN.md §6): append-only journal entries and postings, with account
 * balances kept in the same transaction. Must be called inside the caller's transaction, which
 * also changes the payment and writes the outbox row.
 *
 * <p>Call it as the last step of the transaction: a merchant's balance row is locked from the
 * posting until commit.
 *
 * <p>The database enforces what this code intends: entries balance per currency at commit, postings
 * are never updated or deleted, merchant balances never go negative, one capture per payment.
 */
@Component
public final class Ledger {

  private final DatabaseClient db;

  Ledger(DatabaseClient db) {
    this.db = db;
  }

  /**
   * Posts the capture of a succeeded payment: debit the rail's clearing account with the amount;
   * credit the merchant's pending balance with amount minus fee, and the gateway's fee account
   * with the fee.
   *
   * @param amount captured amount, minor units
   * @param fee the merchant's fee, minor units, 0 ≤ fee ≤ amount
   * @return the journal entry id; errors on a second capture of the same payment (unique index)
   */
  public Mono<String> postCapture(String paymentId, String merchantId, String rail, Money amount, Money fee) {
    SingleStatement statement = new SingleStatement();
    String entryId = captureIn(statement, null, paymentId, merchantId, rail, amount, fee);
    return statement.execute(db).thenReturn(entryId);
  }

  /**
   * Adds the capture of {@link #postCapture} to a caller's single statement (the payment's outcome,
   * written in one round trip): CTEs named {@code ledger_*}, parameters {@code :ledger_*}.
   *
   * @param after a CTE of the statement whose rows must exist (and whose row locks must be held)
   *     before the legs are posted, e.g. the payment's guarded update; null for none
   * @param amount captured amount, minor units
   * @param fee the merchant's fee, minor units, 0 ≤ fee ≤ amount
   * @return the journal entry id; the statement fails on a second capture of the same payment
   */
  public String captureIn(SingleStatement statement, String after, String paymentId, String merchantId, String rail,
      Money amount, Money fee) {
    return entryIn(statement, after, "capture", paymentId, null, amount.currency().code(),
        captureLegs(merchantId, rail, amount, fee));
  }

  /** Debit the rail's clearing account; credit the merchant's pending balance and the gateway's fees. */
  private static List<Leg> captureLegs(String merchantId, String rail, Money amount, Money fee) {
    String currency = amount.currency().code();
    List<Leg> legs = new ArrayList<>(3);
    legs.add(new Leg(Accounts.railClearing(rail, currency), 'D', amount.amountMinor(), 'D', false));
    Money net = amount.minus(fee);
    if (net.amountMinor() > 0) {
      legs.add(new Leg(Accounts.merchantPending(merchantId, currency), 'C', net.amountMinor(), 'C', true));
    }
    if (fee.amountMinor() > 0) {
      legs.add(new Leg(Accounts.gatewayFees(currency), 'C', fee.amountMinor(), 'C', false));
    }
    return legs;
  }

  /**
   * Adds the hold of an authorization awaiting capture to a caller's single statement (the
   * payment's move to {@code requires_capture}): debit {@code rail:{rail}:authorized}, credit
   * {@code merchant:{id}:held} with the authorized amount. Once per payment (unique index), so a
   * hold is never created twice (docs/adr/0082-authorization-holds.md).
   *
   * @param after the payment's guarded update: the hold is posted only if it happened
   * @param amount the authorized amount, minor units
   * @return the journal entry id
   */
  public String holdIn(SingleStatement statement, String after, String paymentId, String merchantId, String rail,
      Money amount) {
    String currency = amount.currency().code();
    return entryIn(statement, after, "hold", paymentId, null, currency, List.of(
        new Leg(Accounts.railAuthorized(rail, currency), 'D', amount.amountMinor(), 'D', false),
        new Leg(Accounts.merchantHeld(merchantId, currency), 'C', amount.amountMinor(), 'C', true)));
  }

  /**
   * Adds the release of a hold to a caller's single statement (capture, void or expiry): the
   * mirror of {@link #holdIn} for the whole authorized amount; a capture posts what it captured
   * with {@link #captureIn} in the same statement. At most once per payment (unique index): a
   * hold is released exactly once. In a statement that already holds a ledger entry, pass a
   * {@link SingleStatement#part} so the two entries' names do not meet.
   *
   * @param amount the authorized amount that was held, minor units
   * @return the journal entry id
   */
  public String releaseIn(SingleStatement statement, String after, String paymentId, String merchantId, String rail,
      Money amount) {
    String currency = amount.currency().code();
    return entryIn(statement, after, "hold_release", paymentId, null, currency, List.of(
        new Leg(Accounts.merchantHeld(merchantId, currency), 'D', amount.amountMinor(), 'C', true),
        new Leg(Accounts.railAuthorized(rail, currency), 'C', amount.amountMinor(), 'D', false)));
  }

  /**
   * A capture in a statement that carries several payments' outcomes ({@link #capturesIn}).
   *
   * @param part the payment's part of the statement ({@link SingleStatement#part})
   * @param after a CTE of that part whose row must exist before the legs are posted (the
   *     payment's guarded update), as the owner named it; null for none
   * @param amount captured amount, minor units
   * @param fee the merchant's fee, minor units, 0 ≤ fee ≤ amount
   */
  public record Capture(SingleStatement part, String after, String paymentId, String merchantId, String rail,
      Money amount, Money fee) {}

  /**
   * Adds the captures of several payments to one statement (group commit,
   * docs/adr/0061-ledger-group-commit.md): each keeps its own journal entry and postings, in its
   * payment's part; each balance row is changed once, by the sum of the batch's legs on it, so a
   * merchant's row is locked once per batch. Captures only credit checked accounts, so the sums
   * cannot overdraw one.
   *
   * @param statement the statement that holds the parts
   * @return the journal entry ids, in the order of {@code captures}; the statement fails when any
   *     payment is captured twice (unique index)
   */
  public List<String> capturesIn(SingleStatement statement, List<Capture> captures) {
    if (captures.isEmpty()) {
      throw new IllegalArgumentException("no capture");
    }
    List<String> entryIds = new ArrayList<>(captures.size());
    List<String> sources = new ArrayList<>(captures.size());
    for (Capture capture : captures) {
      SingleStatement part = capture.part();
      entryIds.add(entryRowsIn(part, capture.after(), "capture", capture.paymentId(),
          null, capture.amount().currency().code(), captureLegs(capture.merchantId(), capture.rail(), capture.amount(),
              capture.fee())));
      sources.add("SELECT l.*, CAST(:%s AS text) AS currency FROM %s l"
          .formatted(part.name("ledger_currency"), part.name("ledger_legs")));
    }
    // One row per account and direction: the sum of the batch's legs.
    statement.with("""
        ledger_batch_legs AS (
            SELECT account, direction, CAST(sum(amount) AS bigint) AS amount, normal_side, non_negative, currency
            FROM (%s) legs
            GROUP BY account, direction, normal_side, non_negative, currency
        )""".formatted(String.join("\n        UNION ALL ", sources)));
    accountsIn(statement, "ledger_batch_legs", "currency");
    captures.forEach(capture -> postingsIn(capture.part()));
    return entryIds;
  }

  /**
   * Posts a refund when it is created, reserving the money: debit the merchant's balance
   * ({@code available} once the payment is settled, else {@code pending}), credit the rail's
   * clearing account. If the rail then refuses, {@link #postRefundReversal} puts it back.
   *
   * @param amount refund amount, minor units
   * @param fromAvailable whether the payment is settled (debit {@code available})
   * @return the journal entry id; error {@link InsufficientBalanceException} when the merchant's
   *     balance would go below zero (the database's CHECK decides, so concurrent refunds cannot
   *     both pass)
   */
  public Mono<String> postRefund(String refundId, String paymentId, String merchantId, String rail, Money amount,
      boolean fromAvailable) {
    String currency = amount.currency().code();
    String merchantAccount = merchantAccount(merchantId, currency, fromAvailable);
    return post("refund", paymentId, refundId, currency, List.of(
            new Leg(merchantAccount, 'D', amount.amountMinor(), 'C', true),
            new Leg(Accounts.railClearing(rail, currency), 'C', amount.amountMinor(), 'D', false)))
        .onErrorMap(Ledger::isOverdraft, error -> new InsufficientBalanceException(merchantAccount, error));
  }

  /**
   * Reverses a refund the rail refused: the mirror of its {@link #postRefund} entry, as a new
   * {@code adjustment} entry (postings are never changed).
   */
  public Mono<String> postRefundReversal(String refundId, String paymentId, String merchantId, String rail,
      Money amount, boolean fromAvailable) {
    String currency = amount.currency().code();
    return post("adjustment", paymentId, refundId, currency, List.of(
        new Leg(merchantAccount(merchantId, currency, fromAvailable), 'C', amount.amountMinor(), 'C', true),
        new Leg(Accounts.railClearing(rail, currency), 'D', amount.amountMinor(), 'D', false)));
  }

  /**
   * Settles a captured payment: moves its net amount from the merchant's {@code pending} to
   * {@code available} balance.
   *
   * @param net amount to move, minor units, positive
   */
  public Mono<String> postSettlement(String paymentId, String merchantId, Money net) {
    String currency = net.currency().code();
    return post("settlement", paymentId, null, currency, List.of(
        new Leg(Accounts.merchantPending(merchantId, currency), 'D', net.amountMinor(), 'C', true),
        new Leg(Accounts.merchantAvailable(merchantId, currency), 'C', net.amountMinor(), 'C', true)));
  }

  /**
   * Settles a captured payment into another currency (docs/adr/0084-settlement-currency-fx.md), in
   * one journal entry of kind {@code settlement} that carries the rate, its time and its source:
   * <pre>
   * D merchant:{id}:pending:{FROM}    amountMinor
   * C fx:{FROM}{TO}:{FROM}            coveredMinor
   * C fx:rounding:{FROM}              roundingMinor   (a debit when negative)
   * D fx:{FROM}{TO}:{TO}              convertedMinor
   * C merchant:{id}:available:{TO}    convertedMinor
   * </pre>
   * Each currency's postings balance; zero amounts are left out.
   *
   * @return the journal entry id; errors on a second settlement of the same payment (unique index)
   */
  public Mono<String> postConvertedSettlement(String paymentId, String merchantId, FxConversion.Converted conversion) {
    String from = conversion.from().code();
    String to = conversion.to().code();
    List<Leg> fromLegs = new ArrayList<>(3);
    fromLegs.add(new Leg(Accounts.merchantPending(merchantId, from), 'D', conversion.amountMinor(), 'C', true));
    if (conversion.coveredMinor() > 0) {
      fromLegs.add(new Leg(Accounts.fxPosition(from, to, from), 'C', conversion.coveredMinor(), 'C', false));
    }
    if (conversion.roundingMinor() != 0) {
      fromLegs.add(new Leg(Accounts.fxRounding(from), conversion.roundingMinor() > 0 ? 'C' : 'D',
          Math.abs(conversion.roundingMinor()), 'C', false));
    }
    List<Leg> toLegs = new ArrayList<>(2);
    if (conversion.convertedMinor() > 0) {
      toLegs.add(new Leg(Accounts.fxPosition(from, to, to), 'D', conversion.convertedMinor(), 'C', false));
      toLegs.add(new Leg(Accounts.merchantAvailable(merchantId, to), 'C', conversion.convertedMinor(), 'C', true));
    }
    return postConversion("settlement", paymentId, null, from, fromLegs, to, toLegs, conversion.rate());
  }

  /**
   * Funds a refund of a payment that was settled into another currency
   * (docs/adr/0091-refunds-of-converted-payments.md): the settlement currency's available balance
   * buys back the refund's amount in the payment's currency at the pair's latest rate, in one
   * journal entry of kind {@code refund_conversion} (one per refund) that carries the rate, the
   * mirror of {@link #postConvertedSettlement}. {@code conversion} converts the refund's amount
   * from the payment's currency ({@code FROM}) into the settlement currency ({@code TO}):
   * <pre>
   * D merchant:{id}:available:{TO}    convertedMinor
   * C fx:{FROM}{TO}:{TO}              convertedMinor
   * D fx:{FROM}{TO}:{FROM}            coveredMinor
   * D fx:rounding:{FROM}              roundingMinor   (a credit when negative)
   * C merchant:{id}:available:{FROM}  amountMinor
   * </pre>
   * The refund's own entry ({@link #postRefund}) then takes {@code amountMinor} from
   * {@code available:{FROM}}, as for any settled payment.
   *
   * @return the journal entry id; error {@link InsufficientBalanceException} when the settlement
   *     currency's available balance cannot cover {@code convertedMinor}
   */
  public Mono<String> postRefundConversion(String refundId, String paymentId, String merchantId,
      FxConversion.Converted conversion) {
    String from = conversion.from().code();
    String to = conversion.to().code();
    String available = Accounts.merchantAvailable(merchantId, to);
    List<Leg> toLegs = new ArrayList<>(2);
    if (conversion.convertedMinor() > 0) {
      toLegs.add(new Leg(available, 'D', conversion.convertedMinor(), 'C', true));
      toLegs.add(new Leg(Accounts.fxPosition(from, to, to), 'C', conversion.convertedMinor(), 'C', false));
    }
    List<Leg> fromLegs = new ArrayList<>(3);
    if (conversion.coveredMinor() > 0) {
      fromLegs.add(new Leg(Accounts.fxPosition(from, to, from), 'D', conversion.coveredMinor(), 'C', false));
    }
    if (conversion.roundingMinor() != 0) {
      fromLegs.add(new Leg(Accounts.fxRounding(from), conversion.roundingMinor() > 0 ? 'D' : 'C',
          Math.abs(conversion.roundingMinor()), 'C', false));
    }
    fromLegs.add(new Leg(Accounts.merchantAvailable(merchantId, from), 'C', conversion.amountMinor(), 'C', true));
    return postConversion("refund_conversion", paymentId, refundId, from, fromLegs, to, toLegs, conversion.rate())
        .onErrorMap(Ledger::isOverdraft, error -> new InsufficientBalanceException(available, error));
  }

  /**
   * Opens the merchant's {@code available} account in {@code currency} at zero when it does not
   * exist yet: a refund of a payment settled into another currency names the charge currency's
   * {@code available} account as the one it debits before any posting in it exists (ADR 0091).
   */
  public Mono<Void> openMerchantAvailable(String merchantId, String currency) {
    return db.sql("""
            INSERT INTO ledger_accounts (id, currency, normal_side, non_negative, balance_minor)
            VALUES (:id, :currency, 'C', true, 0) ON CONFLICT (id) DO NOTHING""")
        .bind("id", Accounts.merchantAvailable(merchantId, currency))
        .bind("currency", currency)
        .then();
  }

  /**
   * One entry across two currencies, each currency's legs balanced on their own, with the rate,
   * its time and its source on the entry.
   */
  private Mono<String> postConversion(String kind, String paymentId, String refundId, String from, List<Leg> fromLegs,
      String to, List<Leg> toLegs, FxRate rate) {
    assertBalanced(fromLegs);
    if (!toLegs.isEmpty()) {
      assertBalanced(toLegs);
    }
    java.util.Map<String, String> currencyOf = new java.util.HashMap<>();
    fromLegs.forEach(l -> currencyOf.put(l.account(), from));
    toLegs.forEach(l -> currencyOf.put(l.account(), to));
    // A stable order on the account rows, as for every entry, so concurrent entries do not deadlock.
    List<Leg> legs = java.util.stream.Stream.concat(fromLegs.stream(), toLegs.stream())
        .sorted(Comparator.comparing(Leg::account)).toList();
    List<String> currencies = legs.stream().map(l -> currencyOf.get(l.account())).toList();
    String entryId = Ids.next("je");
    SingleStatement statement = new SingleStatement()
        .with("""
            ledger_legs AS (
                SELECT l.* FROM unnest(CAST(:ledger_accounts AS text[]), CAST(:ledger_directions AS text[]),
                    CAST(:ledger_amounts AS bigint[]), CAST(:ledger_sides AS text[]), CAST(:ledger_non_negative AS boolean[]),
                    CAST(:ledger_currencies AS text[]))
                    AS l(account, direction, amount, normal_side, non_negative, currency)
            )""")
        .with("""
            ledger_entry AS (
                INSERT INTO journal_entries (id, kind, payment_id, refund_id, fx_base, fx_quote, fx_rate, fx_rate_as_of,
                    fx_rate_source)
                VALUES (:ledger_entry, :ledger_kind, :ledger_payment, :ledger_refund, :ledger_fx_base, :ledger_fx_quote,
                    CAST(:ledger_fx_rate AS numeric), :ledger_fx_as_of, :ledger_fx_source)
            )""")
        .bind("ledger_entry", entryId)
        .bind("ledger_kind", kind)
        .bind("ledger_payment", paymentId)
        .bind("ledger_refund", refundId, String.class)
        .bind("ledger_fx_base", rate.base().code())
        .bind("ledger_fx_quote", rate.quote().code())
        .bind("ledger_fx_rate", rate.rate())
        .bind("ledger_fx_as_of", rate.asOf().atOffset(java.time.ZoneOffset.UTC))
        .bind("ledger_fx_source", rate.source())
        .bind("ledger_accounts", legs.stream().map(Leg::account).toArray(String[]::new))
        .bind("ledger_directions", legs.stream().map(l -> String.valueOf(l.direction())).toArray(String[]::new))
        .bind("ledger_amounts", legs.stream().map(Leg::amountMinor).toArray(Long[]::new))
        .bind("ledger_sides", legs.stream().map(l -> String.valueOf(l.normalSide())).toArray(String[]::new))
        .bind("ledger_non_negative", legs.stream().map(Leg::nonNegative).toArray(Boolean[]::new))
        .bind("ledger_currencies", currencies.toArray(String[]::new));
    accountsIn(statement, "ledger_legs", "currency");
    statement.with("""
        ledger_postings AS (
            INSERT INTO postings (entry_id, account_id, direction, amount_minor, currency)
            SELECT :ledger_entry, account, direction, amount, currency FROM ledger_legs
        )""");
    return statement.execute(db).thenReturn(entryId);
  }

  private static String merchantAccount(String merchantId, String currency, boolean available) {
    return available ? Accounts.merchantAvailable(merchantId, currency) : Accounts.merchantPending(merchantId, currency);
  }

  private static boolean isOverdraft(Throwable error) {
    String message = String.valueOf(error.getMessage());
    return error instanceof DataIntegrityViolationException
        && (message.contains("ledger_accounts_non_negative") || message.contains("postings_account_id_fkey"));
  }

  /**
   * Posts late funds: the rail collected {@code amount} for a payment that is already final as
   * failed, which is never reopened. Debit the rail's clearing account, credit suspense
   * ({@link Accounts#suspense}). At most once per payment (unique index).
   *
   * @param amount the amount the rail confirmed, minor units
   * @return the journal entry id; errors on a second late-funds entry for the same payment
   */
  public Mono<String> postLateFunds(String paymentId, String rail, Money amount) {
    String currency = amount.currency().code();
    return post("late_funds", paymentId, null, currency, List.of(
        new Leg(Accounts.railClearing(rail, currency), 'D', amount.amountMinor(), 'D', false),
        new Leg(Accounts.suspense(currency), 'C', amount.amountMinor(), 'C', false)));
  }

  /**
   * Moves money a rail reported but never confirmed into suspense while an operator works the
   * exception: debit the rail's clearing account, credit suspense. At most once per payment
   * (unique index).
   *
   * @param amount the payment's amount, minor units
   * @return the journal entry id
   */
  public Mono<String> postSuspense(String paymentId, String rail, Money amount) {
    String currency = amount.currency().code();
    return post("suspense", paymentId, null, currency, List.of(
        new Leg(Accounts.railClearing(rail, currency), 'D', amount.amountMinor(), 'D', false),
        new Leg(Accounts.suspense(currency), 'C', amount.amountMinor(), 'C', false)));
  }

  private Mono<String> post(String kind, String paymentId, String refundId, String currency, List<Leg> legs) {
    SingleStatement statement = new SingleStatement();
    String entryId = entryIn(statement, null, kind, paymentId, refundId, currency, legs);
    return statement.execute(db).thenReturn(entryId);
  }

  /**
   * Reserves a payout when it is recorded (docs/adr/0069-payouts-reserved-first.md): debit the
   * merchant's {@code available} balance with amount plus fee, credit its {@code payout_reserved}
   * account. Once per payout (unique index).
   *
   * @param total the payout's amount plus its fee, minor units, positive
   * @return the journal entry id; error {@link InsufficientBalanceException} when {@code available}
   *     would go below zero (the database's CHECK decides, so concurrent payouts cannot both pass)
   */
  public Mono<String> postPayoutReserve(String payoutId, String merchantId, Money total) {
    String currency = total.currency().code();
    String available = Accounts.merchantAvailable(merchantId, currency);
    return postPayoutEntry("payout_reserve", payoutId, currency, List.of(
            new Leg(available, 'D', total.amountMinor(), 'C', true),
            new Leg(Accounts.merchantPayoutReserved(merchantId, currency), 'C', total.amountMinor(), 'C', true)))
        .onErrorMap(Ledger::isOverdraft, error -> new InsufficientBalanceException(available, error));
  }

  /**
   * Posts a payout the rail made: debit the reservation with amount plus fee; credit the rail's
   * clearing account with the amount (the rail paid it out of our float there) and the gateway's
   * fees with the fee. At most one of this or {@link #postPayoutRelease} per payout (unique index).
   *
   * @param amount paid out, minor units; @param fee the merchant's fee, minor units, ≥ 0
   */
  public Mono<String> postPayout(String payoutId, String merchantId, String rail, Money amount, Money fee) {
    String currency = amount.currency().code();
    Money total = amount.plus(fee);
    List<Leg> legs = new ArrayList<>(3);
    legs.add(new Leg(Accounts.merchantPayoutReserved(merchantId, currency), 'D', total.amountMinor(), 'C', true));
    legs.add(new Leg(Accounts.railClearing(rail, currency), 'C', amount.amountMinor(), 'D', false));
    if (fee.amountMinor() > 0) {
      legs.add(new Leg(Accounts.gatewayFees(currency), 'C', fee.amountMinor(), 'C', false));
    }
    return postPayoutEntry("payout", payoutId, currency, legs);
  }

  /**
   * Releases the reservation of a failed payout back to {@code available}: the mirror of
   * {@link #postPayoutReserve}, as a new entry. At most one of this or {@link #postPayout} per payout.
   *
   * @param total the payout's amount plus its fee, minor units
   */
  public Mono<String> postPayoutRelease(String payoutId, String merchantId, Money total) {
    String currency = total.currency().code();
    return postPayoutEntry("payout_release", payoutId, currency, List.of(
        new Leg(Accounts.merchantPayoutReserved(merchantId, currency), 'D', total.amountMinor(), 'C', true),
        new Leg(Accounts.merchantAvailable(merchantId, currency), 'C', total.amountMinor(), 'C', true)));
  }

  /**
   * One posting of a reconciliation or resolution entry.
   *
   * @param account an account name from {@link Accounts}; its normal side and whether it must stay
   *     non-negative follow from the name ({@link Accounts#isMerchant})
   * @param debit true for a debit, false for a credit
   * @param amountMinor minor units, positive
   */
  public record Posting(String account, boolean debit, long amountMinor) {}

  /**
   * Posts a reconciliation run's entry (issue 23, docs/reconciliation.md): the rail's clearing
   * account cleared against its settlement bank account, the rail's fees, and any difference to
   * suspense. Postings on the same account and side are summed first; an account appearing on both
   * sides is netted. At most one per run (unique index).
   *
   * @param currency ISO 4217 code of every posting
   * @return the journal entry id; error {@link IllegalArgumentException} when unbalanced
   */
  public Mono<String> postReconciliation(String runId, String currency, List<Posting> postings) {
    return postLinked("reconciliation", null, runId, null, currency, postings);
  }

  /**
   * Posts the entry of an operator's resolution of an exception (issue 23): at most one per
   * exception (unique index).
   *
   * @return the entry id; error {@link InsufficientBalanceException} when a merchant balance would
   *     go below zero
   */
  public Mono<String> postResolution(String exceptionId, String paymentId, String currency, List<Posting> postings) {
    return postLinked("exception_resolution", paymentId, null, exceptionId, currency, postings)
        .onErrorMap(Ledger::isOverdraft, error -> new InsufficientBalanceException("merchant balance", error));
  }

  private Mono<String> postLinked(String kind, String paymentId, String runId, String exceptionId, String currency,
      List<Posting> postings) {
    java.util.Map<String, Long> net = new java.util.TreeMap<>();
    for (Posting p : postings) {
      if (p.amountMinor() <= 0) {
        throw new IllegalArgumentException("posting amounts must be positive: " + p);
      }
      net.merge(p.account(), p.debit() ? p.amountMinor() : -p.amountMinor(), Math::addExact);
    }
    List<Leg> legs = new ArrayList<>();
    net.forEach((account, signed) -> {
      if (signed != 0) {
        boolean merchant = Accounts.isMerchant(account);
        legs.add(new Leg(account, signed > 0 ? 'D' : 'C', Math.abs(signed), Accounts.normalSide(account), merchant));
      }
    });
    SingleStatement statement = new SingleStatement();
    String entryId = entryRowsIn(statement, null, kind, paymentId, null, null, runId, exceptionId, currency, legs);
    accountsIn(statement, "ledger_legs", ":ledger_currency");
    postingsIn(statement);
    return statement.execute(db).thenReturn(entryId);
  }

  private Mono<String> postPayoutEntry(String kind, String payoutId, String currency, List<Leg> legs) {
    SingleStatement statement = new SingleStatement();
    String entryId = entryIn(statement, null, kind, null, null, payoutId, currency, legs);
    return statement.execute(db).thenReturn(entryId);
  }

  private static String entryIn(SingleStatement statement, String after, String kind, String paymentId,
      String refundId, String currency, List<Leg> legs) {
    return entryIn(statement, after, kind, paymentId, refundId, null, currency, legs);
  }

  private static String entryIn(SingleStatement statement, String after, String kind, String paymentId,
      String refundId, String payoutId, String currency, List<Leg> legs) {
    String entryId = entryRowsIn(statement, after, kind, paymentId, refundId, payoutId, currency, legs);
    // One statement, one round trip: the merchant balance row lock is held only until commit.
    accountsIn(statement, "ledger_legs", ":ledger_currency");
    postingsIn(statement);
    return entryId;
  }

  /** The entry's legs (CTE {@code ledger_legs}) and its journal entry row. */
  private static String entryRowsIn(SingleStatement statement, String after, String kind, String paymentId,
      String refundId, String currency, List<Leg> legs) {
    return entryRowsIn(statement, after, kind, paymentId, refundId, null, currency, legs);
  }

  private static String entryRowsIn(SingleStatement statement, String after, String kind, String paymentId,
      String refundId, String payoutId, String currency, List<Leg> legs) {
    return entryRowsIn(statement, after, kind, paymentId, refundId, payoutId, null, null, currency, legs);
  }

  private static String entryRowsIn(SingleStatement statement, String after, String kind, String paymentId,
      String refundId, String payoutId, String runId, String exceptionId, String currency, List<Leg> legs) {
    assertBalanced(legs);
    // A stable order on the account rows, so concurrent entries lock them without deadlocking.
    List<Leg> ordered = legs.stream().sorted(Comparator.comparing(Leg::account)).toList();
    String entryId = Ids.next("je");
    statement.with("""
            ledger_legs AS (
                SELECT l.* FROM unnest(CAST(:ledger_accounts AS text[]), CAST(:ledger_directions AS text[]),
                    CAST(:ledger_amounts AS bigint[]), CAST(:ledger_sides AS text[]), CAST(:ledger_non_negative AS boolean[]))
                    AS l(account, direction, amount, normal_side, non_negative)"""
            + (after == null ? "" : "\n    WHERE EXISTS (SELECT 1 FROM " + after + ")") + """
            )""")
        .with("""
            ledger_entry AS (
                INSERT INTO journal_entries (id, kind, payment_id, refund_id, payout_id, reconciliation_run_id, exception_id)
                VALUES (:ledger_entry, :ledger_kind, :ledger_payment, :ledger_refund, CAST(:ledger_payout AS text),
                    CAST(:ledger_run AS text), CAST(:ledger_exception AS text))
            )""")
        .bind("ledger_entry", entryId)
        .bind("ledger_kind", kind)
        .bind("ledger_payment", paymentId, String.class)
        .bind("ledger_refund", refundId, String.class)
        .bind("ledger_payout", payoutId, String.class)
        .bind("ledger_run", runId, String.class)
        .bind("ledger_exception", exceptionId, String.class)
        .bind("ledger_currency", currency)
        .bind("ledger_accounts", ordered.stream().map(Leg::account).toArray(String[]::new))
        .bind("ledger_directions", ordered.stream().map(l -> String.valueOf(l.direction())).toArray(String[]::new))
        .bind("ledger_amounts", ordered.stream().map(Leg::amountMinor).toArray(Long[]::new))
        .bind("ledger_sides", ordered.stream().map(l -> String.valueOf(l.normalSide())).toArray(String[]::new))
        .bind("ledger_non_negative", ordered.stream().map(Leg::nonNegative).toArray(Boolean[]::new));
    return entryId;
  }

  /**
   * The balances the legs change. {@code legs} must hold at most one row per account and
   * direction: PostgreSQL applies only one of two changes to the same row in one statement.
   *
   * @param legs the CTE with the legs ({@code account, direction, amount, normal_side,
   *     non_negative})
   * @param currency an SQL expression for the legs' currency
   */
  private static void accountsIn(SingleStatement statement, String legs, String currency) {
    // Shared system accounts are only created if missing (DO NOTHING takes no row lock); their
    // balance is derived from the postings (docs/adr/0007-hot-ledger-accounts.md).
    statement.with("""
            ledger_system_accounts AS (
                INSERT INTO ledger_accounts (id, currency, normal_side, non_negative, balance_minor)
                SELECT account, %2$s, normal_side, false, NULL FROM %1$s WHERE NOT non_negative
                ON CONFLICT (id) DO NOTHING
            )""".formatted(legs, currency))
        .with("""
            ledger_increases AS (
                INSERT INTO ledger_accounts (id, currency, normal_side, non_negative, balance_minor)
                SELECT account, %2$s, normal_side, true, amount
                FROM %1$s WHERE non_negative AND direction = normal_side ORDER BY account
                ON CONFLICT (id) DO UPDATE SET balance_minor = ledger_accounts.balance_minor + EXCLUDED.balance_minor
            )""".formatted(legs, currency))
        .with("""
            ledger_decreases AS (
                -- An UPDATE, not an upsert: PostgreSQL checks an upsert's proposed row before it sees
                -- the conflict, so a negative proposed balance would always fail the CHECK. A debit on
                -- an account that does not exist yet then fails the postings' foreign key: an overdraft.
                UPDATE ledger_accounts a SET balance_minor = a.balance_minor - l.amount
                FROM %1$s l WHERE a.id = l.account AND l.non_negative AND l.direction <> l.normal_side
            )""".formatted(legs));
  }

  /** The postings of the entry whose legs are the statement's (or part's) {@code ledger_legs}. */
  private static void postingsIn(SingleStatement statement) {
    statement.with("""
            ledger_postings AS (
                INSERT INTO postings (entry_id, account_id, direction, amount_minor, currency)
                SELECT :ledger_entry, account, direction, amount, :ledger_currency FROM ledger_legs
            )""");
  }

  private static void assertBalanced(List<Leg> legs) {
    long debits = 0;
    long credits = 0;
    for (Leg leg : legs) {
      if (leg.amountMinor() <= 0) {
        throw new IllegalArgumentException("posting amounts must be positive: " + leg);
      }
      if (leg.direction() == 'D') {
        debits = Math.addExact(debits, leg.amountMinor());
      } else {
        credits = Math.addExact(credits, leg.amountMinor());
      }
    }
    if (legs.size() < 2 || debits != credits) {
      throw new IllegalArgumentException("unbalanced journal entry: debits " + debits + " credits " + credits);
    }
  }

  /** One posting; {@code nonNegative} accounts keep a checked balance row. */
  private record Leg(String account, char direction, long amountMinor, char normalSide, boolean nonNegative) {}
}

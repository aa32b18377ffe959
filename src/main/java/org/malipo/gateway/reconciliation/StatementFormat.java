package org.malipo.gateway.reconciliation;

import java.util.List;
import org.malipo.gateway.rail.PaymentMethodType;
import org.malipo.gateway.rail.RailAdapter;

/**
 * The statement formats the reconciliation reads (docs/reconciliation.md), each a CSV file with a
 * header row of exactly these column names, in this order. The sandbox rails write them
 * ({@code GET /v1/sandbox/rails/{rail}/statement}); {@link StatementParser} reads them.
 */
public enum StatementFormat {

  /**
   * Safaricom M-Pesa's organisation statement (the M-Pesa business portal's CSV export): times in
   * East Africa Time ({@code yyyy-MM-dd HH:mm:ss}), amounts in KES major units.
   */
  MPESA_ORGANISATION_STATEMENT(List.of("Receipt No.", "Completion Time", "Initiation Time", "Details",
      "Transaction Status", "Paid In", "Withdrawn", "Balance", "Other Party Info", "Linked Transaction ID")),

  /**
   * A card acquirer's daily settlement file: one row per settled authorization; amounts in major
   * units of {@code currency}; {@code net = amount - interchange_fee}; times ISO 8601 UTC.
   */
  CARD_SETTLEMENT_FILE(List.of("rail_reference", "authorization_code", "transaction_time", "amount", "currency",
      "interchange_fee", "net")),

  /**
   * Malipo's documented statement CSV for rails without a public report format (MTN MoMo, Airtel
   * Money, Orange Money, Paystack, Flutterwave): amounts in major units; {@code fee} may be empty;
   * times ISO 8601 UTC.
   */
  MALIPO_STATEMENT_CSV(List.of("rail_reference", "receipt", "completed_at", "amount", "currency", "fee", "payer"));

  private final List<String> columns;

  StatementFormat(List<String> columns) {
    this.columns = columns;
  }

  /** The header row, in order. */
  public List<String> columns() {
    return columns;
  }

  /**
   * The format a rail's statement comes in: M-Pesa's own for {@code mpesa}, the settlement file
   * for card-only rails (acquirers), Malipo's CSV for every other rail.
   */
  public static StatementFormat of(RailAdapter rail) {
    if ("mpesa".equals(rail.name())) {
      return MPESA_ORGANISATION_STATEMENT;
    }
    if (rail.methodTypes().equals(java.util.Set.of(PaymentMethodType.CARD))) {
      return CARD_SETTLEMENT_FILE;
    }
    return MALIPO_STATEMENT_CSV;
  }
}

package org.malipo.gateway.ledger;

/**
 * Ledger account names (DESIGN.md §6): typed by owner and purpose, one currency each.
 * Merchant accounts are liabilities (credit-normal, never negative); rail clearing accounts are
 * receivables from the rail (debit-normal); gateway fees are revenue (credit-normal).
 */
public final class Accounts {

  private Accounts() {}

  /** {@code merchant:{id}:pending:{currency}}: captured, not yet settled to the merchant. */
  public static String merchantPending(String merchantId, String currency) {
    return "merchant:" + merchantId + ":pending:" + currency;
  }

  /** {@code merchant:{id}:available:{currency}}: settled, payable to the merchant. */
  public static String merchantAvailable(String merchantId, String currency) {
    return "merchant:" + merchantId + ":available:" + currency;
  }

  /**
   * {@code merchant:{id}:payout_reserved:{currency}}: taken from {@code available} for payouts the
   * rail has not settled yet (docs/adr/0069-payouts-reserved-first.md); never negative.
   */
  public static String merchantPayoutReserved(String merchantId, String currency) {
    return "merchant:" + merchantId + ":payout_reserved:" + currency;
  }

  /** {@code rail:{rail}:clearing:{currency}}: owed to us by the rail until it settles. */
  public static String railClearing(String rail, String currency) {
    return "rail:" + rail + ":clearing:" + currency;
  }

  /** {@code gateway:fees:{currency}}: the gateway's fee revenue. */
  public static String gatewayFees(String currency) {
    return "gateway:fees:" + currency;
  }

  /**
   * {@code gateway:suspense:{currency}}: money a rail reports collected for a payment that is
   * already final as failed (late funds), held until it is returned to the customer or resolved
   * by operations. Credit-normal (we owe it), derived balance like other system accounts.
   */
  public static String suspense(String currency) {
    return "gateway:suspense:" + currency;
  }

  /**
   * {@code bank:{rail}:settlement:{currency}}: the bank account a rail settles into (issue 23);
   * debit-normal (an asset), derived balance.
   */
  public static String settlementBank(String rail, String currency) {
    return "bank:" + rail + ":settlement:" + currency;
  }

  /** {@code gateway:rail_fees:{currency}}: what rails charged us (interchange, tariffs); an expense, debit-normal. */
  public static String railFees(String currency) {
    return "gateway:rail_fees:" + currency;
  }

  /**
   * {@code gateway:write_offs:{currency}}: differences the gateway absorbed when resolving
   * exceptions (a debit is a loss, a credit a gain); debit-normal.
   */
  public static String writeOffs(String currency) {
    return "gateway:write_offs:" + currency;
  }

  /**
   * {@code fx:{FROM}{TO}:{currency}}: the gateway's position from converting {@code from} into
   * {@code to} (docs/adr/0084-settlement-currency-fx.md), one account per side of the pair: credited
   * in {@code from} with what was converted, debited in {@code to} with what it became. Derived
   * balance; together the two sides are the currency the treasury must buy and sell.
   */
  public static String fxPosition(String from, String to, String currency) {
    return "fx:" + from + to + ":" + currency;
  }

  /**
   * {@code fx:rounding:{currency}}: the rounding remainders of conversions from {@code currency}, in
   * its minor units (a credit is the gateway's gain, a debit its loss); derived balance.
   */
  public static String fxRounding(String currency) {
    return "fx:rounding:" + currency;
  }

  /** Whether {@code account} is a merchant's balance (credit-normal, never negative). */
  public static boolean isMerchant(String account) {
    return account.startsWith("merchant:");
  }

  /**
   * The side that increases {@code account}: {@code 'D'} for assets and expenses (rail clearing,
   * bank, rail fees, write-offs), {@code 'C'} for liabilities and revenue (merchant balances,
   * fees, suspense).
   */
  public static char normalSide(String account) {
    if (account.startsWith("rail:") || account.startsWith("bank:") || account.startsWith("gateway:rail_fees:")
        || account.startsWith("gateway:write_offs:")) {
      return 'D';
    }
    return 'C';
  }

  /**
   * {@code merchant:{id}:held:{currency}}: authorized for the merchant but not captured yet
   * (manual capture, docs/adr/0082-authorization-holds.md); credit-normal, never negative, and back
   * to zero once every hold is captured, voided or expired.
   */
  public static String merchantHeld(String merchantId, String currency) {
    return "merchant:" + merchantId + ":held:" + currency;
  }

  /**
   * {@code rail:{rail}:authorized:{currency}}: authorizations the rail holds for us, not captured
   * yet; debit-normal, the other side of every hold.
   */
  public static String railAuthorized(String rail, String currency) {
    return "rail:" + rail + ":authorized:" + currency;
  }
}

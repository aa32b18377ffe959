package org.malipo.gateway.payment;

import org.malipo.gateway.common.KeyedHashes;
import java.time.Clock;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.Map;
import org.malipo.gateway.api.ApiProblem;
import org.malipo.gateway.api.ProblemCode;
import org.malipo.gateway.common.CardNumbers;
import org.malipo.gateway.common.CurrencyUnit;
import org.malipo.gateway.common.Money;
import org.malipo.gateway.payment.CreatePaymentRequest.PaymentMethodRequest;
import org.malipo.gateway.rail.CardData;
import org.malipo.gateway.rail.MobileMoneyOperator;
import org.malipo.gateway.rail.MobileMoneyPayer;
import org.springframework.stereotype.Component;

/**
 * Turns a parsed {@link CreatePaymentRequest} into a {@link PaymentCommand}, or fails with the
 * first problem found ({@code 400}, with {@code param}). Pure CPU, no I/O.
 *
 * <p>Card data belongs in {@code payment_method} only: a card number in {@code reference},
 * {@code description} or {@code metadata} (a key or a value) is {@code parameter_invalid}, since
 * those fields are stored and sent in events and webhooks as they are ({@link CardNumbers}).
 */
@Component
final class PaymentRequestValidator {

  static final int REFERENCE_MAX = 64;
  static final int DESCRIPTION_MAX = 255;
  static final int METADATA_PAIRS_MAX = 20;
  static final int METADATA_KEY_MAX = 40;
  static final int METADATA_VALUE_MAX = 500;

  private final PaymentProperties properties;
  private final KeyedHashes fingerprints;
  private final Clock clock;
  private final MobileNumbers mobileNumbers = new MobileNumbers();

  PaymentRequestValidator(PaymentProperties properties, KeyedHashes fingerprints, Clock clock) {
    this.properties = properties;
    this.fingerprints = fingerprints;
    this.clock = clock;
  }

  /**
   * Validates a request of {@code merchantId}.
   *
   * @param requestFingerprint keyed hash of the canonical request, for idempotency
   *     ({@link RequestFingerprint})
   * @throws ApiProblem {@code parameter_missing}, {@code parameter_invalid} (also for a card
   *     number in {@code reference}, {@code description} or {@code metadata}), {@code amount_invalid},
   *     {@code currency_unsupported} or {@code parameter_unknown}
   */
  PaymentCommand validate(String merchantId, String idempotencyKey, String requestFingerprint, CreatePaymentRequest request) {
    Money amount = amount(request);
    PaymentMethodRequest method = request.paymentMethod();
    if (method == null) {
      throw missing("payment_method");
    }
    if (method.type() == null) {
      throw missing("payment_method.type");
    }
    String reference = freeText(request.reference(), "reference", 1, REFERENCE_MAX);
    String description = freeText(request.description(), "description", 0, DESCRIPTION_MAX);
    Map<String, String> metadata = metadata(request.metadata());
    Payment.CaptureMethod captureMethod = captureMethod(request.captureMethod());
    switch (method.type()) {
      case "card" -> {
        rejectPresent(method.operator(), "payment_method.operator", "card");
        rejectPresent(method.msisdn(), "payment_method.msisdn", "card");
        CardData card = card(method);
        MaskedCard masked = new MaskedCard(CardBrands.of(card.number()), card.bin(), card.last4(), fingerprints.of(card.number()));
        return new PaymentCommand(merchantId, idempotencyKey, requestFingerprint, amount, card, masked, null, reference,
            description, metadata, captureMethod);
      }
      case "mobile_money" -> {
        // A wallet debit is final when the payer confirms it: there is nothing to hold and capture later.
        if (captureMethod == Payment.CaptureMethod.MANUAL) {
          throw ApiProblem.param(ProblemCode.PARAMETER_INVALID, "capture_method",
              "capture_method 'manual' is for cards only; mobile-money payments are captured when the payer confirms.");
        }
        MobileMoneyPayer payer = mobileMoney(method, amount);
        return new PaymentCommand(merchantId, idempotencyKey, requestFingerprint, amount, payer, null,
            new MobileWallet(payer.operator().wireName(), payer.msisdn()), reference, description, metadata,
            captureMethod);
      }
      default -> throw ApiProblem.param(ProblemCode.PARAMETER_INVALID, "payment_method.type",
          "payment_method.type must be 'card' or 'mobile_money'.");
    }
  }

  /** {@code capture_method}: {@code automatic} (the default) or {@code manual}. */
  private static Payment.CaptureMethod captureMethod(String wire) {
    if (wire == null || wire.equals("automatic")) {
      return Payment.CaptureMethod.AUTOMATIC;
    }
    if (wire.equals("manual")) {
      return Payment.CaptureMethod.MANUAL;
    }
    throw ApiProblem.param(ProblemCode.PARAMETER_INVALID, "capture_method",
        "capture_method must be 'automatic' or 'manual'.");
  }

  /**
   * Checks a mobile-money method: the operator, the currency it settles (M-Pesa KES; MoMo UGX,
   * GHS, RWF, ZMW and the sandbox's EUR), M-Pesa's whole shillings (rails.md §1.7) and the payer
   * number (E.164, a mobile number in the operator's ranges: rails.md §9).
   */
  private MobileMoneyPayer mobileMoney(PaymentMethodRequest method, Money amount) {
    rejectPresent(method.number(), "payment_method.number", "mobile money");
    rejectPresent(method.expMonth(), "payment_method.exp_month", "mobile money");
    rejectPresent(method.expYear(), "payment_method.exp_year", "mobile money");
    rejectPresent(method.cvc(), "payment_method.cvc", "mobile money");
    if (method.operator() == null) {
      throw missing("payment_method.operator");
    }
    MobileMoneyOperator operator = MobileMoneyOperator.fromWire(method.operator()).orElseThrow(() -> ApiProblem.param(
        ProblemCode.PARAMETER_INVALID, "payment_method.operator",
        "payment_method.operator must be 'mpesa', 'mtn_momo', 'airtel', 'orange', 'telecel' or 'airteltigo'."));
    CurrencyUnit currency = amount.currency();
    if (!mobileNumbers.currencies(operator).contains(currency)) {
      throw ApiProblem.param(ProblemCode.CURRENCY_UNSUPPORTED, "currency",
          operator.wireName() + " does not settle " + currency + ".");
    }
    if (operator == MobileMoneyOperator.MPESA && amount.amountMinor() % 100 != 0) {
      throw ApiProblem.param(ProblemCode.AMOUNT_INVALID, "amount",
          "M-Pesa takes whole shillings: amount must be a multiple of 100 minor units.");
    }
    if (WHOLE_UNITS.contains(operator) && amount.amountMinor() % pow10(currency.exponent()) != 0) {
      throw ApiProblem.param(ProblemCode.AMOUNT_INVALID, "amount", operator.wireName()
          + " takes whole " + currency + ": amount must be a multiple of " + pow10(currency.exponent()) + " minor units.");
    }
    Long maxMajor = MAX_MAJOR_UNITS.getOrDefault(operator, Map.of()).get(currency);
    if (maxMajor != null && amount.amountMinor() > maxMajor * pow10(currency.exponent())) {
      throw ApiProblem.param(ProblemCode.AMOUNT_INVALID, "amount",
          operator.wireName() + " takes at most " + maxMajor + " " + currency + " per payment.");
    }
    if (method.msisdn() == null) {
      throw missing("payment_method.msisdn");
    }
    MobileNumbers.Wallet wallet = mobileNumbers.wallet(operator, method.msisdn()).orElseThrow(() -> ApiProblem.param(
        ProblemCode.PARAMETER_INVALID, "payment_method.msisdn",
        "payment_method.msisdn must be an E.164 mobile number of a " + operator.wireName() + " wallet."));
    if (currency != wallet.market().currency() && currency != MobileNumbers.MOMO_SANDBOX_CURRENCY) {
      throw ApiProblem.param(ProblemCode.CURRENCY_UNSUPPORTED, "currency",
          operator.wireName() + " wallets in " + wallet.market().region() + " settle " + wallet.market().currency() + ".");
    }
    return new MobileMoneyPayer(operator, wallet.e164());
  }

  /**
   * Operators whose rails take whole major units only (rails.md §3.2, §8: Airtel and Orange send a
   * number of major units, and mobile-money operators transact in whole units); M-Pesa has its own
   * check above. XOF and XAF have exponent 0, so every amount in them is whole.
   */
  static final java.util.Set<MobileMoneyOperator> WHOLE_UNITS = java.util.EnumSet.of(MobileMoneyOperator.AIRTEL,
      MobileMoneyOperator.ORANGE);

  /**
   * Per-payment maxima in major units that a rail documents (checked before any rail call, so the
   * rail never refuses them): M-Pesa STK push 250,000 KES (rails.md §1.3, [P]). Other operators
   * publish per-wallet limits that depend on the customer's KYC tier, which the rail itself
   * enforces (Airtel {@code DP00800001003}: {@code limit_exceeded}).
   */
  static final Map<MobileMoneyOperator, Map<CurrencyUnit, Long>> MAX_MAJOR_UNITS = Map.of(
      MobileMoneyOperator.MPESA, Map.of(CurrencyUnit.KES, 250_000L));

  private static long pow10(int exponent) {
    long result = 1;
    for (int i = 0; i < exponent; i++) {
      result *= 10;
    }
    return result;
  }

  Money amount(CreatePaymentRequest request) {
    if (request.amount() == null) {
      throw missing("amount");
    }
    if (request.currency() == null) {
      throw missing("currency");
    }
    CurrencyUnit currency = CurrencyUnit.fromCode(request.currency()).orElseThrow(() -> ApiProblem.param(
        ProblemCode.CURRENCY_UNSUPPORTED, "currency", "Currency '" + printable(request.currency()) + "' is not supported."));
    long amountMinor = request.amount();
    long max = properties.maxAmountMinor(currency);
    if (amountMinor <= 0 || amountMinor > max) {
      throw ApiProblem.param(ProblemCode.AMOUNT_INVALID, "amount",
          "amount must be an integer of minor units between 1 and " + max + " for " + currency + ".");
    }
    return new Money(amountMinor, currency);
  }

  CardData card(PaymentMethodRequest method) {
    String number = method.number();
    if (number == null) {
      throw missing("payment_method.number");
    }
    if (!Luhn.isValidCardNumber(number)) {
      throw ApiProblem.param(ProblemCode.PARAMETER_INVALID, "payment_method.number",
          "The card number is not a valid card number.");
    }
    if (method.expMonth() == null) {
      throw missing("payment_method.exp_month");
    }
    if (method.expYear() == null) {
      throw missing("payment_method.exp_year");
    }
    int month = method.expMonth();
    int year = method.expYear();
    if (month < 1 || month > 12) {
      throw ApiProblem.param(ProblemCode.PARAMETER_INVALID, "payment_method.exp_month", "exp_month must be 1-12.");
    }
    if (year < 2000 || year > 2100) {
      throw ApiProblem.param(ProblemCode.PARAMETER_INVALID, "payment_method.exp_year",
          "exp_year must be a four-digit year.");
    }
    YearMonth now = YearMonth.now(clock.withZone(ZoneOffset.UTC));
    YearMonth expiry = YearMonth.of(year, month);
    if (expiry.isBefore(now)) {
      // A card is valid through the last day of its expiry month.
      String param = year < now.getYear() ? "payment_method.exp_year" : "payment_method.exp_month";
      throw ApiProblem.param(ProblemCode.PARAMETER_INVALID, param, "The card has expired.");
    }
    String cvc = method.cvc();
    if (cvc == null) {
      throw missing("payment_method.cvc");
    }
    if (!cvc.matches("\\d{3,4}")) {
      throw ApiProblem.param(ProblemCode.PARAMETER_INVALID, "payment_method.cvc", "cvc must be 3 or 4 digits.");
    }
    return new CardData(number, month, year, cvc);
  }

  /** An optional text field of {@code min} to {@code max} characters without a card number. */
  static String freeText(String value, String param, int min, int max) {
    if (value == null) {
      return null;
    }
    if (value.length() < min || value.length() > max) {
      throw ApiProblem.param(ProblemCode.PARAMETER_INVALID, param,
          param + " must be " + min + " to " + max + " characters.");
    }
    rejectCardNumber(value, param);
    return value;
  }

  /**
   * Refuses a card number in a stored free-text field. The detail never echoes the value; the
   * param names the field ({@code metadata} alone for a key, which must not be echoed either).
   */
  private static void rejectCardNumber(String value, String param) {
    if (CardNumbers.containsCardNumber(value)) {
      throw ApiProblem.param(ProblemCode.PARAMETER_INVALID, param,
          param + " must not contain a card number; card details go in payment_method only.");
    }
  }

  static Map<String, String> metadata(Map<String, String> metadata) {
    if (metadata == null) {
      return Map.of();
    }
    if (metadata.size() > METADATA_PAIRS_MAX) {
      throw ApiProblem.param(ProblemCode.PARAMETER_INVALID, "metadata",
          "metadata may have at most " + METADATA_PAIRS_MAX + " pairs.");
    }
    for (Map.Entry<String, String> pair : metadata.entrySet()) {
      String key = pair.getKey();
      if (key.isEmpty() || key.length() > METADATA_KEY_MAX) {
        throw ApiProblem.param(ProblemCode.PARAMETER_INVALID, "metadata",
            "metadata keys must be 1 to " + METADATA_KEY_MAX + " characters.");
      }
      rejectCardNumber(key, "metadata");
      if (pair.getValue() == null || pair.getValue().length() > METADATA_VALUE_MAX) {
        throw ApiProblem.param(ProblemCode.PARAMETER_INVALID, "metadata." + key,
            "metadata values must be strings of at most " + METADATA_VALUE_MAX + " characters.");
      }
      rejectCardNumber(pair.getValue(), "metadata." + key);
    }
    return Map.copyOf(metadata);
  }

  private static void rejectPresent(Object value, String param, String methodName) {
    if (value != null) {
      throw ApiProblem.param(ProblemCode.PARAMETER_UNKNOWN, param, param + " does not apply to " + methodName + " payments.");
    }
  }

  private static ApiProblem missing(String param) {
    return ApiProblem.param(ProblemCode.PARAMETER_MISSING, param, "'" + param + "' is required.");
  }

  private static String printable(String value) {
    return value.length() > 8 ? value.substring(0, 8) + "…" : value;
  }
}

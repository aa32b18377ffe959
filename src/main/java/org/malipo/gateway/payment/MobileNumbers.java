package org.malipo.gateway.payment;

import com.google.i18n.phonenumbers.NumberParseException;
import com.google.i18n.phonenumbers.PhoneNumberUtil;
import com.google.i18n.phonenumbers.PhoneNumberUtil.PhoneNumberFormat;
import com.google.i18n.phonenumbers.PhoneNumberUtil.PhoneNumberType;
import com.google.i18n.phonenumbers.Phonenumber.PhoneNumber;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.malipo.gateway.common.CurrencyUnit;
import org.malipo.gateway.rail.MobileMoneyOperator;

/**
 * Which wallets each mobile-money operator can collect from: E.164 validation by Google's
 * libphonenumber (country, mobile number type), then the operator's number ranges in that country
 * and the currency it settles there (rails.md §9; ranges are a hint because of number portability,
 * the rail decides in the end).
 *
 * <p>Pure CPU after construction: the constructor loads the metadata of every supported country, so
 * no metadata file is read on an event-loop thread later, and numbers of other countries are
 * refused before libphonenumber is asked.
 */
final class MobileNumbers {

  /**
   * One market of an operator.
   *
   * @param region ISO 3166 alpha-2
   * @param currency the currency the operator settles there
   * @param prefixes national significant number prefixes of the operator's ranges
   */
  record Market(String region, CurrencyUnit currency, List<String> prefixes) {}

  static final Map<MobileMoneyOperator, List<Market>> MARKETS = Map.of(
      MobileMoneyOperator.MPESA, List.of(
          new Market("KE", CurrencyUnit.KES,
              List.of("70", "71", "72", "74", "757", "758", "759", "768", "769", "79", "11", "14", "18"))),
      MobileMoneyOperator.MTN_MOMO, List.of(
          new Market("UG", CurrencyUnit.UGX, List.of("76", "77", "78", "790", "791", "792", "793", "794", "724", "737")),
          new Market("GH", CurrencyUnit.GHS, List.of("24", "25", "53", "54", "55", "59")),
          new Market("RW", CurrencyUnit.RWF, List.of("78", "79")),
          new Market("ZM", CurrencyUnit.ZMW, List.of("96", "76", "56"))),
      // Issue 22. Airtel: rails.md §9 (KE, UG, RW, ZM) and the national plans of TZ, MW and the
      // XAF markets (Congo, Chad, Gabon); prefixes are hints (number portability).
      MobileMoneyOperator.AIRTEL, List.of(
          new Market("KE", CurrencyUnit.KES, List.of("73", "750", "751", "752", "753", "754", "755", "756", "761", "762",
              "78", "10")),
          new Market("UG", CurrencyUnit.UGX, List.of("70", "74", "75", "730", "731", "795")),
          new Market("TZ", CurrencyUnit.TZS, List.of("68", "69", "78")),
          new Market("RW", CurrencyUnit.RWF, List.of("72", "73")),
          new Market("ZM", CurrencyUnit.ZMW, List.of("97", "77", "57")),
          new Market("MW", CurrencyUnit.MWK, List.of("99", "98")),
          new Market("CG", CurrencyUnit.XAF, List.of("04", "05")),
          new Market("TD", CurrencyUnit.XAF, List.of("65", "66", "98", "99")),
          new Market("GA", CurrencyUnit.XAF, List.of("074", "076", "077", "74", "76", "77"))),
      // Orange Money: Cote d'Ivoire (10-digit plan, 07), Senegal (77, 78), Mali, Burkina Faso, Cameroon.
      MobileMoneyOperator.ORANGE, List.of(
          new Market("CI", CurrencyUnit.XOF, List.of("07")),
          new Market("SN", CurrencyUnit.XOF, List.of("77", "78")),
          new Market("ML", CurrencyUnit.XOF, List.of("7", "8", "9")),
          new Market("BF", CurrencyUnit.XOF, List.of("05", "06", "07", "54", "55", "56", "57", "64", "65", "66", "67",
              "74", "75", "76", "77")),
          new Market("CM", CurrencyUnit.XAF, List.of("69", "655", "656", "657", "658", "659"))),
      // Ghana's other wallets, collected through Paystack (rails.md §9).
      MobileMoneyOperator.TELECEL, List.of(new Market("GH", CurrencyUnit.GHS, List.of("20", "50"))),
      MobileMoneyOperator.AIRTELTIGO, List.of(new Market("GH", CurrencyUnit.GHS, List.of("23", "26", "27", "56", "57"))));

  /** Formatting between a number's digits, ignored: white space and dashes. */
  private static final Pattern FORMATTING = Pattern.compile("[\\s-]");

  /**
   * What is left of a number once formatting is removed: ASCII digits, after a {@code +} for the
   * international form. libphonenumber alone would also take letters (a vanity number), an
   * extension ({@code x5}, {@code ext 5}, {@code ;ext=5}, {@code #5}), brackets, dots and other
   * scripts' digits, none of which a wallet number has.
   */
  private static final Pattern DIGITS = Pattern.compile("\\+?[0-9]+");

  /** MoMo's sandbox settles EUR only (rails.md §2.3), whatever the payer's country. */
  static final CurrencyUnit MOMO_SANDBOX_CURRENCY = CurrencyUnit.EUR;

  private final PhoneNumberUtil util = PhoneNumberUtil.getInstance();
  private final Set<Integer> countryCodes;

  MobileNumbers() {
    this.countryCodes = MARKETS.values().stream().flatMap(List::stream)
        .map(market -> util.getCountryCodeForRegion(market.region()))
        .collect(java.util.stream.Collectors.toUnmodifiableSet());
    // Load every supported region's metadata now, at start-up, off the event loops.
    MARKETS.values().stream().flatMap(List::stream)
        .forEach(market -> util.getExampleNumberForType(market.region(), PhoneNumberType.MOBILE));
  }

  /** The currencies an operator settles. */
  Set<CurrencyUnit> currencies(MobileMoneyOperator operator) {
    Set<CurrencyUnit> result = new java.util.HashSet<>();
    MARKETS.get(operator).forEach(market -> result.add(market.currency()));
    if (operator == MobileMoneyOperator.MTN_MOMO) {
      result.add(MOMO_SANDBOX_CURRENCY);
    }
    return Set.copyOf(result);
  }

  /** A wallet number accepted for an operator: E.164 and the market it belongs to. */
  record Wallet(String e164, Market market) {}

  /**
   * Parses and checks a payer number for an operator.
   *
   * @param input E.164 ({@code +254708374149}); for an operator of one country also the national
   *     form ({@code 0708374149}) or the number with its country code without {@code +}; white
   *     space and dashes are ignored, any other character refuses the number
   * @return the wallet, or empty when the number is not a valid mobile number in one of the
   *     operator's ranges, or has a character that is not part of the number
   */
  Optional<Wallet> wallet(MobileMoneyOperator operator, String input) {
    String compact = FORMATTING.matcher(input).replaceAll("");
    if (!DIGITS.matcher(compact).matches()) {
      return Optional.empty();
    }
    List<Market> markets = MARKETS.get(operator);
    String defaultRegion = markets.size() == 1 ? markets.getFirst().region() : null;
    if (!compact.startsWith("+") && defaultRegion == null) {
      return Optional.empty();
    }
    if (compact.startsWith("+") && countryCodes.stream().noneMatch(code -> compact.startsWith("+" + code))) {
      return Optional.empty(); // another country: refused before any metadata would be loaded
    }
    PhoneNumber number;
    try {
      number = util.parse(compact, defaultRegion == null ? "ZZ" : defaultRegion);
    } catch (NumberParseException e) {
      return Optional.empty();
    }
    String nsn = util.getNationalSignificantNumber(number);
    for (Market market : markets) {
      if (util.isValidNumberForRegion(number, market.region())
          && isMobile(util.getNumberType(number))
          && market.prefixes().stream().anyMatch(nsn::startsWith)) {
        return Optional.of(new Wallet(util.format(number, PhoneNumberFormat.E164), market));
      }
    }
    return Optional.empty();
  }

  private static boolean isMobile(PhoneNumberType type) {
    return type == PhoneNumberType.MOBILE || type == PhoneNumberType.FIXED_LINE_OR_MOBILE;
  }

  /** A number for display: country code and first two digits, then only the last three. */
  static String mask(String e164) {
    if (e164 == null || e164.length() < 10) {
      return e164;
    }
    int keep = e164.length() - 3;
    return e164.substring(0, 6) + "*".repeat(keep - 6) + e164.substring(keep);
  }
}

package org.malipo.gateway.merchant;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import org.malipo.gateway.api.ApiProblem;
import org.malipo.gateway.api.ProblemCode;
import org.malipo.gateway.api.StrictJson;
import org.malipo.gateway.audit.AuditAction;
import org.malipo.gateway.audit.AuditLog;
import org.malipo.gateway.auth.Principal;
import org.malipo.gateway.common.CurrencyUnit;
import org.malipo.gateway.merchant.MerchantPricing.Method;
import org.malipo.gateway.merchant.MerchantPricing.Rate;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.http.MediaType;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.transaction.ReactiveTransactionManager;
import org.springframework.transaction.reactive.TransactionalOperator;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * A merchant's pricing (scope {@code admin}, issue 23):
 * <ul>
 *   <li>{@code PUT /v1/merchants/{id}/pricing} {@code {currency?, card?: {percent_bp, fixed_minor},
 *       mobile_money?: {…}, payouts?: {…}}} sets the given methods' rates for {@code currency}, or
 *       for every currency without its own when {@code currency} is absent; audited
 *       ({@code merchant_pricing.updated}); {@code 200} the pricing as {@code GET} shows it.</li>
 *   <li>{@code GET /v1/merchants/{id}/pricing} → {@code {object: "merchant_pricing", merchant_id,
 *       card, mobile_money, payouts?, currencies: {CUR: {card?, mobile_money?, payouts?}}}}: the
 *       top level is what applies to every currency (the merchant's own, else the configured
 *       default, {@code source} saying which; payouts have no merchant-wide default, they fall back
 *       to the rail's configured fee); {@code currencies} the per-currency rates.</li>
 * </ul>
 * {@code percent_bp} 0–10,000 (basis points, rounded half-up), {@code fixed_minor} 0–10^12 minor
 * units of the payment's currency; a fee never exceeds the amount. Errors: {@code 400}
 * ({@code parameter_*}, {@code invalid_json}, {@code currency_unsupported}), {@code 404} for an
 * unknown merchant. Rates reach every instance within {@code malipo.pricing.refresh-interval}.
 */
@RestController
final class MerchantPricingController {

  private static final byte[] EMPTY = new byte[0];
  private static final long MAX_FIXED_MINOR = 1_000_000_000_000L;

  private final StrictJson json;
  private final MerchantPricing pricing;
  private final AuditLog audit;
  private final DatabaseClient db;
  private final TransactionalOperator tx;
  private final Rate cardDefault;
  private final Rate mobileMoneyDefault;

  MerchantPricingController(StrictJson json, MerchantPricing pricing, AuditLog audit, DatabaseClient db,
      ReactiveTransactionManager transactionManager,
      @Value("${malipo.pricing.card-fee-basis-points:290}") int cardBasisPoints,
      @Value("${malipo.pricing.mobile-money-fee-basis-points:150}") int mobileMoneyBasisPoints) {
    this.json = json;
    this.pricing = pricing;
    this.audit = audit;
    this.db = db;
    this.tx = TransactionalOperator.create(transactionManager);
    this.cardDefault = new Rate(cardBasisPoints, 0);
    this.mobileMoneyDefault = new Rate(mobileMoneyBasisPoints, 0);
  }

  /** One method's rate in a request. */
  record RateRequest(Integer percentBp, Long fixedMinor) {}

  /** The PUT body. */
  record PricingRequest(String currency, RateRequest card, RateRequest mobileMoney, RateRequest payouts) {}

  /** A rate on the wire; {@code source} {@code merchant} or {@code default} at the top level. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record RateView(int percentBp, long fixedMinor, String source) {}

  /** Per-currency rates. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record CurrencyRates(RateView card, RateView mobileMoney, RateView payouts) {}

  /** The pricing on the wire. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record PricingView(String object, String merchantId, RateView card, RateView mobileMoney, RateView payouts,
      Map<String, CurrencyRates> currencies) {}

  @GetMapping(path = "/v1/merchants/{id}/pricing", produces = MediaType.APPLICATION_JSON_VALUE)
  Mono<PricingView> get(@PathVariable("id") String merchantId, ServerWebExchange exchange) {
    return Mono.fromCallable(() -> Principal.of(exchange).require(Principal.ADMIN))
        .then(requireMerchant(merchantId))
        .then(view(merchantId));
  }

  @PutMapping(path = "/v1/merchants/{id}/pricing", consumes = MediaType.APPLICATION_JSON_VALUE,
      produces = MediaType.APPLICATION_JSON_VALUE)
  Mono<PricingView> put(@PathVariable("id") String merchantId, @RequestBody(required = false) Mono<byte[]> body,
      ServerWebExchange exchange) {
    return Mono.fromCallable(() -> Principal.of(exchange).require(Principal.ADMIN))
        .then(body.defaultIfEmpty(EMPTY))
        .flatMap(bytes -> {
          PricingRequest request = json.read(bytes, PricingRequest.class);
          String currency = currency(request.currency());
          Map<Method, Rate> rates = new EnumMap<>(Method.class);
          put(rates, Method.CARD, request.card(), "card");
          put(rates, Method.MOBILE_MONEY, request.mobileMoney(), "mobile_money");
          put(rates, Method.PAYOUTS, request.payouts(), "payouts");
          if (rates.isEmpty()) {
            throw ApiProblem.of(ProblemCode.PARAMETER_MISSING, "Give at least one of card, mobile_money, payouts.");
          }
          Map<String, Object> details = new LinkedHashMap<>();
          details.put("merchant_id", merchantId);
          details.put("currency", currency);
          rates.forEach((method, rate) -> details.put(method.wireName(), rate.percentBp() + " bp + " + rate.fixedMinor()));
          return requireMerchant(merchantId)
              .then(tx.transactional(pricing.put(merchantId, currency, rates)
                  .then(audit.record(audit.context(exchange), AuditAction.MERCHANT_PRICING_UPDATED, merchantId, details))))
              .then(Mono.fromRunnable(() -> pricing.remember(merchantId, currency, rates)))
              .then(view(merchantId));
        });
  }

  private static String currency(String code) {
    if (code == null) {
      return MerchantPricing.ANY_CURRENCY;
    }
    return CurrencyUnit.fromCode(code).map(CurrencyUnit::code).orElseThrow(() ->
        ApiProblem.param(ProblemCode.CURRENCY_UNSUPPORTED, "currency", "'" + code + "' is not a supported ISO 4217 code."));
  }

  private static void put(Map<Method, Rate> rates, Method method, RateRequest request, String param) {
    if (request == null) {
      return;
    }
    if (request.percentBp() == null) {
      throw ApiProblem.param(ProblemCode.PARAMETER_MISSING, param + ".percent_bp", "'" + param + ".percent_bp' is required.");
    }
    if (request.percentBp() < 0 || request.percentBp() > 10_000) {
      throw ApiProblem.param(ProblemCode.PARAMETER_INVALID, param + ".percent_bp", "'percent_bp' must be 0-10000 basis points.");
    }
    long fixed = request.fixedMinor() == null ? 0 : request.fixedMinor();
    if (fixed < 0 || fixed > MAX_FIXED_MINOR) {
      throw ApiProblem.param(ProblemCode.PARAMETER_INVALID, param + ".fixed_minor", "'fixed_minor' must be 0-10^12 minor units.");
    }
    rates.put(method, new Rate(request.percentBp(), fixed));
  }

  private Mono<Void> requireMerchant(String merchantId) {
    return db.sql("SELECT 1 FROM merchants WHERE id = :id").bind("id", merchantId).map(row -> 1).first()
        .switchIfEmpty(Mono.error(() -> ApiProblem.of(ProblemCode.NOT_FOUND, "No merchant has this id.")))
        .then();
  }

  private Mono<PricingView> view(String merchantId) {
    return pricing.of(merchantId).map(rows -> {
      Map<String, Rate> card = rows.getOrDefault(Method.CARD, Map.of());
      Map<String, Rate> mobile = rows.getOrDefault(Method.MOBILE_MONEY, Map.of());
      Map<String, Rate> payouts = rows.getOrDefault(Method.PAYOUTS, Map.of());
      Map<String, CurrencyRates> currencies = new TreeMap<>();
      for (Map<String, Rate> byCurrency : java.util.List.of(card, mobile, payouts)) {
        byCurrency.keySet().stream().filter(c -> !c.equals(MerchantPricing.ANY_CURRENCY))
            .forEach(c -> currencies.put(c, new CurrencyRates(own(card.get(c)), own(mobile.get(c)), own(payouts.get(c)))));
      }
      return new PricingView("merchant_pricing", merchantId, top(card, cardDefault), top(mobile, mobileMoneyDefault),
          own(payouts.get(MerchantPricing.ANY_CURRENCY)), currencies);
    });
  }

  private static RateView top(Map<String, Rate> byCurrency, Rate fallback) {
    Rate own = byCurrency.get(MerchantPricing.ANY_CURRENCY);
    return own != null ? new RateView(own.percentBp(), own.fixedMinor(), "merchant")
        : new RateView(fallback.percentBp(), fallback.fixedMinor(), "default");
  }

  private static RateView own(Rate rate) {
    return rate == null ? null : new RateView(rate.percentBp(), rate.fixedMinor(), "merchant");
  }
}

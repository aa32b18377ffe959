package org.malipo.gateway.payment;

import java.lang.reflect.Constructor;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.malipo.gateway.api.StrictJson;
import org.malipo.gateway.common.CurrencyUnit;
import org.malipo.gateway.common.KeyedHashes;
import org.malipo.gateway.common.Money;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.json.JsonMapper;

/**
 * The CPU stages of a payment around its I/O: decoding the request as the pipeline does (strict
 * parse, canonical form, binding), the idempotency fingerprint (HMAC-SHA256 of path and canonical
 * body without card data, {@link RequestFingerprint}), and encoding the payment view the gateway
 * answers, stores and publishes.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class PaymentJsonBenchmark {

  private static final byte[] BODY = """
      {"amount":1500,"currency":"KES","payment_method":{"type":"card","number":"4242424242424242",\
      "exp_month":12,"exp_year":2030,"cvc":"123"},"reference":"load-7d335fcb-93a8"}"""
      .getBytes(StandardCharsets.UTF_8);

  private StrictJson strictJson;
  private KeyedHashes fingerprints;
  private JsonMapper json;
  private JsonNode tree;
  private PaymentView view;

  /** The gateway's JSON set-up and one succeeded card payment. */
  @Setup
  public void setUp() throws ReflectiveOperationException {
    Constructor<StrictJson> constructor = StrictJson.class.getDeclaredConstructor();
    constructor.setAccessible(true); // package-private: the gateway makes exactly one, as a bean
    strictJson = constructor.newInstance();
    fingerprints = new KeyedHashes("jmh-only-fingerprint-key");
    json = JsonMapper.builder().propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE).build();
    tree = strictJson.readObject(BODY);
    Money amount = new Money(1_500, CurrencyUnit.fromCode("KES").orElseThrow());
    Instant now = Instant.parse("2026-11-22T01:55:48.279708Z");
    view = PaymentView.of(new Payment("pay_01a200f779b77de8ac00d596fb871379", "mer_demo", "key", PaymentStatus.SUCCEEDED,
        amount, amount.basisPoints(290), "order-1001", null, Map.of(),
        new MaskedCard("visa", "424242", "4242", "ef80c2dc5ccd87a6e7b67d25f4d152392a97e3d12da70d64732e760479a9029f"),
        null, "acquirer_a", new Payment.Risk(0, "allow", List.of(), false), null, 1, now, now));
  }

  /** Strict parse, canonical form and binding of a card payment request (the validate stage). */
  @Benchmark
  public CreatePaymentRequest decodeRequest() {
    JsonNode tree = strictJson.readObject(BODY);
    strictJson.canonical(tree);
    return strictJson.bind(tree, CreatePaymentRequest.class);
  }

  /** The idempotency fingerprint of a parsed card request (card token, canonical form, HMAC). */
  @Benchmark
  public String fingerprint() {
    return RequestFingerprint.of(fingerprints, strictJson, PaymentPipeline.CREATE_PATH, tree);
  }

  /** The payment view as JSON (answer, stored replay, event data). */
  @Benchmark
  public String encodeView() {
    return json.writeValueAsString(view);
  }
}

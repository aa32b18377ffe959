package org.malipo.gateway.callback;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Map;
import org.malipo.gateway.api.ApiProblem;
import org.malipo.gateway.api.ProblemCode;
import org.malipo.gateway.rail.mpesa.MpesaRail;
import org.malipo.gateway.rail.mtnmomo.MtnMomoRail;
import org.malipo.gateway.rail.RailAdapter;
import org.malipo.gateway.rail.RailRegistry;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestMethod;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/**
 * {@code POST /v1/callbacks/mpesa/{token}} and {@code PUT|POST /v1/callbacks/mtn-momo/{token}}:
 * the rails' result callbacks. Neither rail signs its callbacks, so the path carries a per-rail
 * secret, compared in constant time; a wrong one is {@code 404} and nothing is stored. The raw
 * body is written to the inbox first, then the rail gets its acknowledgement (M-Pesa:
 * {@code {"ResultCode":0,"ResultDesc":"Accepted"}}; MoMo: an empty 200), and the callback is
 * processed asynchronously by {@link CallbackProcessor}. Issue 22 adds {@code POST
 * /v1/callbacks/airtel/{token}} and {@code /orange/{token}} (unsigned, secret path, as above) and
 * {@code POST /v1/callbacks/paystack} and {@code /flutterwave}, stored only when the rail's own
 * signature verifies ({@link RailAdapter#authentic}); a forgery is {@code 401} and stores nothing.
 */
@RestController
@RequestMapping("/v1/callbacks")
final class CallbackController {

  // Rail names of issue 22's rails (their packages stay inside rail).
  private static final String AIRTEL = "airtel";
  private static final String ORANGE = "orange";
  private static final String PAYSTACK = "paystack";
  private static final String FLUTTERWAVE = "flutterwave";
  private static final Map<String, Object> MPESA_ACK = Map.of("ResultCode", 0, "ResultDesc", "Accepted");

  private final CallbackProperties properties;
  private final Inbox inbox;
  private final CallbackProcessor processor;
  private final RailCallbackTokens tokens;
  private final RailRegistry rails;

  CallbackController(CallbackProperties properties, Inbox inbox, CallbackProcessor processor, RailCallbackTokens tokens,
      RailRegistry rails) {
    this.properties = properties;
    this.inbox = inbox;
    this.processor = processor;
    this.tokens = tokens;
    this.rails = rails;
  }

  /** Airtel Money's callback (rails.md §3.4): unsigned, so the path carries the secret; an empty 200. */
  @RequestMapping(path = "/airtel/{token}", method = RequestMethod.POST)
  Mono<ResponseEntity<Void>> airtel(@PathVariable String token, @RequestParam(name = "ref", required = false) String ref,
      @RequestBody(required = false) Mono<byte[]> body) {
    return store(AIRTEL, tokens.airtelToken(), token, ref, body).thenReturn(ResponseEntity.ok().<Void>build());
  }

  /** Orange Money's payment notification: unsigned, so the path carries the secret; an empty 200. */
  @RequestMapping(path = "/orange/{token}", method = RequestMethod.POST)
  Mono<ResponseEntity<Void>> orange(@PathVariable String token, @RequestParam(name = "ref", required = false) String ref,
      @RequestBody(required = false) Mono<byte[]> body) {
    return store(ORANGE, tokens.orangeToken(), token, ref, body).thenReturn(ResponseEntity.ok().<Void>build());
  }

  /**
   * Paystack's webhook (rails.md §4.2): stored only when {@code x-paystack-signature} is the
   * HMAC-SHA512 of the raw body under the secret key; otherwise {@code 401} and nothing stored.
   */
  @RequestMapping(path = "/paystack", method = RequestMethod.POST)
  Mono<ResponseEntity<Void>> paystack(@RequestHeader HttpHeaders headers, @RequestBody(required = false) Mono<byte[]> body) {
    return signed(PAYSTACK, headers, body);
  }

  /**
   * Flutterwave's webhook (rails.md §5): stored only when {@code verif-hash} equals the configured
   * secret hash; otherwise {@code 401} and nothing stored.
   */
  @RequestMapping(path = "/flutterwave", method = RequestMethod.POST)
  Mono<ResponseEntity<Void>> flutterwave(@RequestHeader HttpHeaders headers,
      @RequestBody(required = false) Mono<byte[]> body) {
    return signed(FLUTTERWAVE, headers, body);
  }

  private Mono<ResponseEntity<Void>> signed(String railName, HttpHeaders headers, Mono<byte[]> body) {
    RailAdapter rail = rails.byName(railName).orElse(null);
    if (rail == null) {
      return Mono.error(ApiProblem.of(ProblemCode.NOT_FOUND, "No such callback endpoint."));
    }
    return body.defaultIfEmpty(new byte[0])
        .flatMap(bytes -> rail.authentic(bytes, headers::getFirst)
            ? inbox.insert(railName, null, bytes).doOnNext(id -> processor.wakeUp()).then()
            : Mono.error(ApiProblem.of(ProblemCode.UNAUTHORIZED, "The callback's signature does not verify.")))
        .thenReturn(ResponseEntity.ok().<Void>build());
  }

  @RequestMapping(path = "/mpesa/{token}", method = RequestMethod.POST, produces = MediaType.APPLICATION_JSON_VALUE)
  Mono<Map<String, Object>> mpesa(@PathVariable String token, @RequestParam(name = "ref", required = false) String ref,
      @RequestBody(required = false) Mono<byte[]> body) {
    return store(MpesaRail.NAME, properties.mpesaToken(), token, ref, body).thenReturn(MPESA_ACK);
  }

  @RequestMapping(path = "/mtn-momo/{token}", method = {RequestMethod.PUT, RequestMethod.POST})
  Mono<ResponseEntity<Void>> mtnMomo(@PathVariable String token, @RequestParam(name = "ref", required = false) String ref,
      @RequestBody(required = false) Mono<byte[]> body) {
    return store(MtnMomoRail.NAME, properties.mtnMomoToken(), token, ref, body)
        .thenReturn(ResponseEntity.ok().<Void>build());
  }

  private Mono<Void> store(String rail, String expected, String token, String ref, Mono<byte[]> body) {
    if (expected.isEmpty() || !MessageDigest.isEqual(expected.getBytes(StandardCharsets.UTF_8), token.getBytes(StandardCharsets.UTF_8))) {
      return Mono.error(ApiProblem.of(ProblemCode.NOT_FOUND, "No such callback endpoint."));
    }
    String hint = ref == null || ref.length() > 64 ? null : ref;
    return body.defaultIfEmpty(new byte[0])
        .flatMap(bytes -> inbox.insert(rail, hint, bytes))
        .doOnNext(id -> processor.wakeUp())
        .then();
  }
}

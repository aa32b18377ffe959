package org.malipo.gateway.sandbox;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import org.malipo.gateway.common.Ids;
import org.malipo.gateway.sandbox.AcquirerApi.AuthorizationRequest;
import org.malipo.gateway.sandbox.AcquirerApi.AuthorizationResponse;
import org.malipo.gateway.sandbox.AcquirerApi.ErrorResponse;
import org.malipo.gateway.sandbox.AcquirerApi.RefundRequest;
import org.malipo.gateway.sandbox.AcquirerApi.RefundResponse;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.MapperFeature;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.cfg.CoercionAction;
import tools.jackson.databind.cfg.CoercionInputShape;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.type.LogicalType;

/**
 * The sandbox card acquirer's decisions, without HTTP: authenticate, validate, replay by
 * Idempotency-Key, and answer by test card ({@code docs/rails/sandbox-acquirer.md}).
 *
 * <p>Thread-safe and non-blocking. Stored answers live in bounded in-memory maps
 * ({@code malipo.sandbox.max-stored-answers} entries each, {@link #STORED_ANSWER_TTL}), so a
 * replay after a restart or beyond the bounds is a new authorization, as on a real acquirer past
 * its retention window.
 */
final class SandboxAcquirer {

  static final Duration STORED_ANSWER_TTL = Duration.ofHours(1);
  static final int MAX_IDEMPOTENCY_KEY_LENGTH = 255;

  /** Test cards and the ISO 8583 field 39 code each produces; {@code "500"} means HTTP 500. */
  static final Map<String, String> TEST_CARDS = Map.of(
      "4242424242424242", "00",
      "4000000000000002", "05",
      "4000000000009995", "51",
      "4000000000000069", "54",
      "4000000000000119", "500",
      "4000000000005126", "00");

  /** Authorizes, but every refund of it is refused ({@code "05"}). */
  static final String REFUND_REFUSED_CARD = "4000000000005126";

  private static final Pattern NUMERIC_CURRENCY = Pattern.compile("\\d{3}");
  private static final Pattern PAN = Pattern.compile("\\d{12,19}");
  private static final Pattern CVC = Pattern.compile("\\d{3,4}");
  private static final long MAX_AMOUNT = 999_999_999_999L; // field 4 is n12
  private static final char[] APPROVAL_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789".toCharArray();

  private final byte[] expectedAuthorization;
  private final Clock clock;
  private final JsonMapper json;
  private final AtomicInteger stan = new AtomicInteger();
  private final Cache<String, Approval> approvals;
  private final RailJournal journal;
  private final Cache<String, Reply> refundAnswers;
  private final Cache<String, Stored> answers;
  /** Completion and reversal answers by acquirer, kind and Idempotency-Key ({@link Stored#FENCED} once looked up unused). */
  private final Cache<String, Reply> operationAnswers;

  /**
   * @param apiKey the accepted Bearer key
   * @param maxStoredAnswers entries kept per store (approvals, authorization and refund answers)
   * @param clock the source of the RRN's date and hour
   */
  SandboxAcquirer(String apiKey, int maxStoredAnswers, Clock clock) {
    this(apiKey, maxStoredAnswers, clock, new RailJournal());
  }

  /** As above, recording every approved authorization in {@code journal} (the acquirer's settlement file). */
  SandboxAcquirer(String apiKey, int maxStoredAnswers, Clock clock, RailJournal journal) {
    this.journal = journal;
    this.expectedAuthorization = ("Bearer " + apiKey).getBytes(StandardCharsets.UTF_8);
    this.clock = clock;
    this.json = mapper();
    this.approvals = Caffeine.newBuilder().maximumSize(maxStoredAnswers).expireAfterWrite(Duration.ofDays(1)).build();
    this.refundAnswers = Caffeine.newBuilder().maximumSize(maxStoredAnswers).expireAfterWrite(STORED_ANSWER_TTL).build();
    this.answers = Caffeine.newBuilder().maximumSize(maxStoredAnswers).expireAfterWrite(STORED_ANSWER_TTL).build();
    this.operationAnswers = Caffeine.newBuilder().maximumSize(maxStoredAnswers).expireAfterWrite(Duration.ofDays(1)).build();
  }

  /**
   * Answers one {@code POST /{acquirer}/v1/authorizations}.
   *
   * @param acquirer the acquirer name from the path; it scopes the Idempotency-Key
   * @param authorization the {@code Authorization} header, may be null
   * @param idempotencyKey the {@code Idempotency-Key} header, may be null
   * @param body the raw request body
   * @return the HTTP answer; never throws for bad input
   */
  Reply authorize(String acquirer, String authorization, String idempotencyKey, byte[] body) {
    if (authorization == null
        || !MessageDigest.isEqual(expectedAuthorization, authorization.getBytes(StandardCharsets.UTF_8))) {
      return error(401, "invalid_api_key", null);
    }
    if (idempotencyKey == null || idempotencyKey.isBlank() || idempotencyKey.length() > MAX_IDEMPOTENCY_KEY_LENGTH) {
      return error(400, "idempotency_key_missing", "30");
    }
    AuthorizationRequest request;
    try {
      request = json.readValue(body, AuthorizationRequest.class);
    } catch (JacksonException e) {
      return error(400, "format_error", "30");
    }
    Reply invalid = validate(request);
    if (invalid != null) {
      return invalid;
    }
    String key = acquirer + '\n' + idempotencyKey;
    Fingerprint fingerprint = Fingerprint.of(request);
    Stored earlier = answers.getIfPresent(key);
    if (earlier != null) {
      return earlier.replayFor(fingerprint, this);
    }
    Reply reply = decide(request.card().number());
    if (reply.status() != 200) {
      return reply; // Not processed: nothing to replay, a retry is processed afresh.
    }
    remember(acquirer, request, reply);
    Stored winner = answers.asMap().putIfAbsent(key, new Stored(fingerprint, reply));
    return winner == null ? reply : winner.replayFor(fingerprint, this);
  }

  /**
   * Answers one {@code GET /{acquirer}/v1/authorizations/by-idempotency-key/{key}}: the status
   * query a caller uses when it lost the answer to an authorization (a timeout after sending).
   *
   * <p>An authorization processed under this key → 200 with the stored answer, byte for byte.
   * None → 404 {@code unknown_idempotency_key}, and the key is fenced: an authorization that
   * arrives later with it is refused ({@code 409 idempotency_key_fenced}) and charges nothing, so
   * "not found" stays true (the effect of an ISO 8583 reversal of an unanswered request).
   *
   * @param acquirer the acquirer name from the path
   * @param authorization the {@code Authorization} header, may be null
   * @param idempotencyKey the key the authorization was (or would have been) sent with
   * @return the HTTP answer; never throws for bad input
   */
  Reply lookup(String acquirer, String authorization, String idempotencyKey) {
    if (authorization == null
        || !MessageDigest.isEqual(expectedAuthorization, authorization.getBytes(StandardCharsets.UTF_8))) {
      return error(401, "invalid_api_key", null);
    }
    if (idempotencyKey == null || idempotencyKey.isBlank() || idempotencyKey.length() > MAX_IDEMPOTENCY_KEY_LENGTH) {
      return error(400, "idempotency_key_missing", "30");
    }
    Stored winner = answers.asMap().putIfAbsent(acquirer + '\n' + idempotencyKey, Stored.FENCED);
    return winner == null || winner == Stored.FENCED ? error(404, "unknown_idempotency_key", "25") : winner.reply();
  }

  /**
   * Answers one {@code POST /{acquirer}/v1/refunds}: {@code {authorization_id, amount, currency}}
   * → {@code {refund_id, response_code}}. {@code "00"} refunded; {@code "05"} refused (the test
   * card {@value #REFUND_REFUSED_CARD} authorizes but its refunds are refused). An unknown
   * authorization is 404; a refund above what is left of it is 400 {@code invalid_amount}.
   * Replays by Idempotency-Key like authorizations.
   */
  Reply refund(String acquirer, String authorization, String idempotencyKey, byte[] body) {
    if (authorization == null
        || !MessageDigest.isEqual(expectedAuthorization, authorization.getBytes(StandardCharsets.UTF_8))) {
      return error(401, "invalid_api_key", null);
    }
    if (idempotencyKey == null || idempotencyKey.isBlank() || idempotencyKey.length() > MAX_IDEMPOTENCY_KEY_LENGTH) {
      return error(400, "idempotency_key_missing", "30");
    }
    RefundRequest request;
    try {
      request = json.readValue(body, RefundRequest.class);
    } catch (JacksonException e) {
      return error(400, "format_error", "30");
    }
    if (request == null || request.authorizationId() == null || request.amount() <= 0) {
      return error(400, "format_error", "30");
    }
    String key = acquirer + "\nrefund\n" + idempotencyKey;
    Reply earlier = refundAnswers.getIfPresent(key);
    if (earlier != null) {
      return earlier;
    }
    Approval approval = approvals.getIfPresent(acquirer + '\n' + request.authorizationId());
    if (approval == null) {
      return error(404, "unknown_authorization", "12");
    }
    if (!approval.currency().equals(request.currency())) {
      return error(400, "invalid_amount", "13");
    }
    Reply reply;
    if (approval.refundRefused()) {
      reply = new Reply(200, json.writeValueAsBytes(new RefundResponse(null, "05")));
    } else if (!approval.take(request.amount())) {
      return error(400, "invalid_amount", "13");
    } else {
      reply = new Reply(200, json.writeValueAsBytes(new RefundResponse(Ids.next("rfd"), "00")));
    }
    Reply winner = refundAnswers.asMap().putIfAbsent(key, reply);
    return winner == null ? reply : winner;
  }

  /** A look-up that found nothing under its key fences the key: this marker is stored instead. */
  private static final Reply FENCED_OPERATION = new Reply(0, new byte[0]);

  /**
   * Answers one {@code POST /{acquirer}/v1/authorizations/{authorizationId}/completions} (capture)
   * or {@code …/reversals} (void) of an authorization made with {@code capture: false}.
   * {@code "00"}: a completion captures {@code amount} (at most the held amount; the rest is
   * released), a reversal releases it all; {@code "12"} (invalid transaction) when the
   * authorization is not held any more (completed, reversed) or was captured at once. An unknown
   * authorization is 404, an amount above the hold 400 {@code invalid_amount}. Replays by
   * Idempotency-Key; a key fenced by a look-up is refused with 409 {@code idempotency_key_fenced}.
   *
   * @param kind {@code completions} or {@code reversals}
   */
  Reply operate(String acquirer, String kind, String authorizationId, String authorization, String idempotencyKey,
      byte[] body) {
    if (authorization == null
        || !MessageDigest.isEqual(expectedAuthorization, authorization.getBytes(StandardCharsets.UTF_8))) {
      return error(401, "invalid_api_key", null);
    }
    if (idempotencyKey == null || idempotencyKey.isBlank() || idempotencyKey.length() > MAX_IDEMPOTENCY_KEY_LENGTH) {
      return error(400, "idempotency_key_missing", "30");
    }
    boolean completion = "completions".equals(kind);
    AcquirerApi.OperationRequest request;
    try {
      request = json.readValue(body, AcquirerApi.OperationRequest.class);
    } catch (JacksonException e) {
      return error(400, "format_error", "30");
    }
    if (request == null || request.amount() <= 0 || request.currency() == null) {
      return error(400, "format_error", "30");
    }
    String key = acquirer + '\n' + kind + '\n' + idempotencyKey;
    Reply earlier = operationAnswers.getIfPresent(key);
    if (earlier != null) {
      return earlier == FENCED_OPERATION ? error(409, "idempotency_key_fenced", null) : earlier;
    }
    Approval approval = approvals.getIfPresent(acquirer + '\n' + authorizationId);
    if (approval == null) {
      return error(404, "unknown_authorization", "12");
    }
    if (!approval.currency().equals(request.currency()) || request.amount() > approval.amount()
        || (!completion && request.amount() != approval.amount())) {
      return error(400, "invalid_amount", "13");
    }
    boolean applied = completion ? approval.complete(request.amount()) : approval.reverse();
    if (applied && completion) {
      // The completion settles: the settlement file lists the captured (possibly partial) amount.
      Instant now = clock.instant();
      alphabetic(approval.currency()).ifPresent(code -> journal.record(new RailJournal.Entry(acquirer, authorizationId,
          approval.approvalCode, approval.maskedCard, request.amount(), code, now, now)));
    }
    String id = applied ? Ids.next(completion ? "cmp" : "rev") : null;
    Reply reply = new Reply(200, json.writeValueAsBytes(new AcquirerApi.OperationResponse(
        completion ? id : null, completion ? null : id, applied ? "00" : "12")));
    Reply winner = operationAnswers.asMap().putIfAbsent(key, reply);
    return winner == null ? reply : winner == FENCED_OPERATION ? error(409, "idempotency_key_fenced", null) : winner;
  }

  /**
   * Answers one {@code GET /{acquirer}/v1/{completions|reversals}/by-idempotency-key/{key}}: the
   * stored answer, byte for byte, or 404 {@code unknown_idempotency_key}, after which the key is
   * fenced (a completion or reversal arriving later with it is refused and changes nothing).
   */
  Reply lookupOperation(String acquirer, String kind, String authorization, String idempotencyKey) {
    if (authorization == null
        || !MessageDigest.isEqual(expectedAuthorization, authorization.getBytes(StandardCharsets.UTF_8))) {
      return error(401, "invalid_api_key", null);
    }
    if (idempotencyKey == null || idempotencyKey.isBlank() || idempotencyKey.length() > MAX_IDEMPOTENCY_KEY_LENGTH) {
      return error(400, "idempotency_key_missing", "30");
    }
    Reply winner = operationAnswers.asMap().putIfAbsent(acquirer + '\n' + kind + '\n' + idempotencyKey, FENCED_OPERATION);
    return winner == null || winner == FENCED_OPERATION ? error(404, "unknown_idempotency_key", "25") : winner;
  }

  private void remember(String acquirer, AuthorizationRequest request, Reply reply) {
    AuthorizationResponse answer = json.readValue(reply.body(), AuthorizationResponse.class);
    if ("00".equals(answer.responseCode())) {
      String number = request.card().number();
      String maskedCard = "**** " + number.substring(Math.max(0, number.length() - 4));
      approvals.put(acquirer + '\n' + answer.authorizationId(), new Approval(request.amount(), request.currency(),
          REFUND_REFUSED_CARD.equals(request.card().number()), Boolean.FALSE.equals(request.capture()),
          answer.approvalCode(), maskedCard));
      Instant now = clock.instant();
      // A held authorization (capture: false) settles when completed, for the completed amount
      // (operate); a reversed or expired one never does.
      if (!Boolean.FALSE.equals(request.capture())) {
        alphabetic(request.currency()).ifPresent(code -> journal.record(new RailJournal.Entry(acquirer,
            answer.authorizationId(), answer.approvalCode(), maskedCard, request.amount(), code, now, now)));
      }
    }
  }

  /** Field 49 is the ISO 4217 numeric code; settlement files carry the alphabetic one. */
  private static java.util.Optional<String> alphabetic(String numeric) {
    return java.util.Arrays.stream(org.malipo.gateway.common.CurrencyUnit.values())
        .filter(unit -> Integer.toString(unit.numericCode()).equals(numeric.replaceFirst("^0+", "")))
        .findFirst()
        .map(org.malipo.gateway.common.CurrencyUnit::code);
  }

  /**
   * An approved authorization, whether it is still held (made with {@code capture: false} and
   * neither completed nor reversed), how much was captured and how much of that refunded, minor
   * units.
   */
  private static final class Approval {
    private final long amount;
    private final String currency;
    private final boolean refundRefused;
    private final String approvalCode;
    private final String maskedCard;
    private final AtomicLong refunded = new AtomicLong();
    /** -1 while held; else the captured amount (0 once reversed). */
    private final AtomicLong captured;

    Approval(long amount, String currency, boolean refundRefused, boolean held, String approvalCode, String maskedCard) {
      this.amount = amount;
      this.approvalCode = approvalCode;
      this.maskedCard = maskedCard;
      this.currency = currency;
      this.refundRefused = refundRefused;
      this.captured = new AtomicLong(held ? -1 : amount);
    }

    long amount() {
      return amount;
    }

    /** Captures {@code amountMinor} of a held authorization, once; false when not held. */
    boolean complete(long amountMinor) {
      return captured.compareAndSet(-1, amountMinor);
    }

    /** Releases a held authorization, once; false when not held. */
    boolean reverse() {
      return captured.compareAndSet(-1, 0);
    }

    String currency() {
      return currency;
    }

    boolean refundRefused() {
      return refundRefused;
    }

    /** Counts a refund if it fits in what is left; lock-free, so safe on event loops. */
    boolean take(long refundMinor) {
      long before;
      do {
        before = refunded.get();
        if (refundMinor > captured.get() - before) {
          return false;
        }
      } while (!refunded.compareAndSet(before, before + refundMinor));
      return true;
    }
  }

  /**
   * The answer of an acquirer whose fault switch says {@code fail} ({@link SandboxFaults}):
   * {@code 503 {"error":"service_unavailable","response_code":"91"}}, given before anything is
   * read or processed, so nothing is authorized, refunded or fenced. Documented as "not processed"
   * in {@code docs/rails/sandbox-acquirer.md}, which is what lets the card rail fail over on it.
   */
  Reply unavailable() {
    return error(503, "service_unavailable", "91");
  }

  /** A reply with an {@link ErrorResponse} body. */
  Reply error(int status, String error, String responseCode) {
    return new Reply(status, json.writeValueAsBytes(new ErrorResponse(error, responseCode)));
  }

  private Reply validate(AuthorizationRequest request) {
    if (request == null || request.card() == null || request.merchantReference() == null
        || request.merchantReference().isBlank() || request.currency() == null
        || !NUMERIC_CURRENCY.matcher(request.currency()).matches()) {
      return error(400, "format_error", "30");
    }
    if (request.amount() <= 0 || request.amount() > MAX_AMOUNT) {
      return error(400, "invalid_amount", "13");
    }
    AcquirerApi.Card card = request.card();
    if (card.number() == null || !PAN.matcher(card.number()).matches() || card.cvc() == null
        || !CVC.matcher(card.cvc()).matches() || card.expMonth() < 1 || card.expMonth() > 12
        || card.expYear() < 1000 || card.expYear() > 9999) {
      return error(400, "format_error", "30");
    }
    return null;
  }

  private Reply decide(String pan) {
    String code = TEST_CARDS.getOrDefault(pan, luhnValid(pan) ? "00" : "14");
    if (code.equals("500")) {
      return error(500, "system_malfunction", "96");
    }
    String trace = nextStan();
    AuthorizationResponse answer = new AuthorizationResponse(
        Ids.next("auth"),
        code,
        code.equals("00") ? approvalCode() : null,
        trace,
        rrn(trace));
    return new Reply(200, json.writeValueAsBytes(answer));
  }

  private String nextStan() {
    int value = Math.floorMod(stan.incrementAndGet(), 1_000_000);
    return pad(value, 6);
  }

  /** Field 37 as many switches build it: last digit of the year, day of year, hour, STAN. */
  private String rrn(String trace) {
    ZonedDateTime now = ZonedDateTime.now(clock);
    return (now.getYear() % 10) + pad(now.getDayOfYear(), 3) + pad(now.getHour(), 2) + trace;
  }

  private static String approvalCode() {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    char[] code = new char[6];
    for (int i = 0; i < code.length; i++) {
      code[i] = APPROVAL_ALPHABET[random.nextInt(APPROVAL_ALPHABET.length)];
    }
    return new String(code);
  }

  private static String pad(int value, int width) {
    String digits = Integer.toString(value);
    return "0".repeat(Math.max(0, width - digits.length())) + digits;
  }

  /** Luhn (ISO/IEC 7812-1 annex B) check of a digits-only PAN. */
  static boolean luhnValid(String pan) {
    int sum = 0;
    boolean doubled = false;
    for (int i = pan.length() - 1; i >= 0; i--) {
      int digit = pan.charAt(i) - '0';
      if (doubled) {
        digit *= 2;
        if (digit > 9) {
          digit -= 9;
        }
      }
      sum += digit;
      doubled = !doubled;
    }
    return sum % 10 == 0;
  }

  private static JsonMapper mapper() {
    // Strict on what we accept (a real acquirer refuses unknown or mistyped fields), so a
    // mapping bug in an adapter shows up as a 400 in tests rather than as silent coercion.
    return JsonMapper.builder()
        .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
        .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
        .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
        .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
        .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
        .withCoercionConfig(LogicalType.Integer, c -> c
            .setCoercion(CoercionInputShape.String, CoercionAction.Fail)
            .setCoercion(CoercionInputShape.Float, CoercionAction.Fail))
        .withCoercionConfig(LogicalType.Textual, c -> c
            .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
            .setCoercion(CoercionInputShape.Float, CoercionAction.Fail))
        .changeDefaultPropertyInclusion(inclusion -> inclusion.withValueInclusion(JsonInclude.Include.NON_NULL))
        .build();
  }

  /**
   * One HTTP answer.
   *
   * @param status HTTP status
   * @param body JSON body
   */
  record Reply(int status, byte[] body) {}

  /** What must match for a replay: a different request under the same key is refused. */
  private record Fingerprint(long amount, String currency, String merchantReference, String cardLast4) {

    static Fingerprint of(AuthorizationRequest request) {
      String pan = request.card().number();
      return new Fingerprint(request.amount(), request.currency(), request.merchantReference(),
          pan.substring(pan.length() - 4));
    }
  }

  private record Stored(Fingerprint fingerprint, Reply reply) {

    /** A key a status query found unused: no authorization may use it any more. */
    static final Stored FENCED = new Stored(null, null);

    Reply replayFor(Fingerprint candidate, SandboxAcquirer acquirer) {
      if (this == FENCED) {
        return acquirer.error(409, "idempotency_key_fenced", null);
      }
      return fingerprint.equals(candidate) ? reply : acquirer.error(422, "idempotency_key_reused", null);
    }
  }
}

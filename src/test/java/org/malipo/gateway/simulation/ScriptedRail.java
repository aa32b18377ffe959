package org.malipo.gateway.simulation;

import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import org.malipo.gateway.common.CurrencyUnit;
import org.malipo.gateway.rail.AuthorizationOperation;
import org.malipo.gateway.rail.MobileMoneyOperator;
import org.malipo.gateway.rail.OperationOutcome;
import org.malipo.gateway.rail.PaymentMethodType;
import org.malipo.gateway.rail.RailAdapter;
import org.malipo.gateway.rail.RailCallback;
import org.malipo.gateway.rail.RailOutcome;
import org.malipo.gateway.rail.mpesa.MpesaRail;
import org.malipo.gateway.rail.RailRequest;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

/**
 * A rail whose every answer comes from the simulation's {@link World}: what it says to an
 * authorization, to a status query, and whether it charged. Two kinds, mirroring the real ones at
 * the {@link RailAdapter} edge: a card acquirer that takes our attempt id as its idempotency key
 * and answers a look-up by it (an unknown key is fenced, as the sandbox acquirer does), and an
 * M-Pesa-like STK push whose status query needs the rail's own CheckoutRequestID and whose
 * callbacks are M-Pesa {@code stkCallback} bodies. The card acquirer also holds authorizations and
 * completes (captures) or reverses (voids) them, with a look-up by the operation's id. The gateway wraps it in its real
 * {@code ResilientRail}, so errors are mapped to outcomes by the production code.
 */
final class ScriptedRail implements RailAdapter {

  /** The two shapes of rail. */
  enum Kind { CARD, MPESA }

  /** The simulated outside world the rail asks for every answer. */
  interface World {

    /** Answers one authorization (may never answer, or error, as a transport would). */
    Mono<RailOutcome> authorize(ScriptedRail rail, RailRequest request, SimTag tag);

    /** Answers one status query by the key {@link #statusReference} chose. */
    Mono<RailOutcome> query(ScriptedRail rail, String key, SimTag tag);

    /** Answers a capture (completion) or void (reversal) of a held authorization; by default it never processes one. */
    default Mono<OperationOutcome> operate(ScriptedRail rail, AuthorizationOperation operation, SimTag tag) {
      return Mono.just(new OperationOutcome.NotAttempted(rail.name(), "no held authorizations in this world"));
    }

    /** Answers the look-up of a capture or void by its operation id (its idempotency key). */
    default Mono<OperationOutcome> queryOperation(ScriptedRail rail, AuthorizationOperation operation) {
      return Mono.just(new OperationOutcome.NotAttempted(rail.name(), "no held authorizations in this world"));
    }
  }

  private static final JsonMapper JSON = JsonMapper.builder().build();

  private final String name;
  private final Kind kind;
  private final Supplier<World> world;

  ScriptedRail(String name, Kind kind, Supplier<World> world) {
    this.name = name;
    this.kind = kind;
    this.world = world;
  }

  Kind kind() {
    return kind;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public PaymentMethodType methodType() {
    return kind == Kind.CARD ? PaymentMethodType.CARD : PaymentMethodType.MOBILE_MONEY;
  }

  @Override
  public Set<CurrencyUnit> currencies() {
    return Set.of(CurrencyUnit.KES);
  }

  @Override
  public Optional<MobileMoneyOperator> operator() {
    return kind == Kind.MPESA ? Optional.of(MobileMoneyOperator.MPESA) : Optional.empty();
  }

  @Override
  public Mono<RailOutcome> authorize(RailRequest request) {
    return Mono.deferContextual(context -> world.get().authorize(this, request, SimTag.of(context)));
  }

  @Override
  public Mono<RailOutcome> queryStatus(String railReference) {
    return Mono.deferContextual(context -> world.get().query(this, railReference, SimTag.of(context)));
  }

  /** A card acquirer holds authorizations and completes or reverses them later, as the sandbox acquirer does. */
  @Override
  public boolean supportsManualCapture() {
    return kind == Kind.CARD;
  }

  @Override
  public Mono<OperationOutcome> operate(AuthorizationOperation operation) {
    if (kind != Kind.CARD) {
      return RailAdapter.super.operate(operation);
    }
    return Mono.deferContextual(context -> world.get().operate(this, operation, SimTag.of(context)));
  }

  @Override
  public Mono<OperationOutcome> queryOperation(AuthorizationOperation operation) {
    if (kind != Kind.CARD) {
      return RailAdapter.super.queryOperation(operation);
    }
    return Mono.defer(() -> world.get().queryOperation(this, operation));
  }

  /** M-Pesa's STK query takes only the CheckoutRequestID: a push whose answer was lost cannot be queried. */
  @Override
  public String statusReference(String attemptId, String railReference) {
    return kind == Kind.MPESA ? railReference : RailAdapter.super.statusReference(attemptId, railReference);
  }

  /** Reads an M-Pesa {@code Body.stkCallback} (rails.md §1.4), as the real adapter does. */
  @Override
  public RailCallback readCallback(byte[] body, String referenceHint) {
    if (kind != Kind.MPESA) {
      throw new IllegalArgumentException(name + " sends no callbacks");
    }
    return MpesaRail.readStkCallback(JSON, name, body, referenceHint);
  }

  /** An {@code stkCallback} body as M-Pesa sends it: success with amount and payer, or a failure code. */
  static String callbackBody(String checkoutRequestId, int resultCode, long amountMinor, String msisdn) {
    String metadata = resultCode != 0 ? "" : """
        ,"CallbackMetadata":{"Item":[{"Name":"Amount","Value":%d},{"Name":"MpesaReceiptNumber","Value":"SIM%s"},\
        {"Name":"PhoneNumber","Value":%s}]}""".formatted(amountMinor / 100,
        Integer.toHexString(checkoutRequestId.hashCode()).toUpperCase(java.util.Locale.ROOT), msisdn.substring(1));
    return """
        {"Body":{"stkCallback":{"MerchantRequestID":"sim","CheckoutRequestID":"%s","ResultCode":%d,\
        "ResultDesc":"%s"%s}}}""".formatted(checkoutRequestId, resultCode, resultCode == 0 ? "Success" : "Cancelled",
        metadata);
  }

  @Override
  public String toString() {
    return "ScriptedRail[" + name + "]";
  }
}

package org.malipo.gateway.events;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.malipo.gateway.common.Ids;
import org.malipo.gateway.common.SingleStatement;
import org.malipo.gateway.common.TraceContext;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

/**
 * Appends events to the {@code outbox} table inside the caller's transaction, so an event exists
 * exactly when the change it announces committed (INVARIANTS.md 12).
 *
 * <p>Event JSON (DESIGN.md §7, {@code contracts/asyncapi.yaml}):
 * {@code {id, type, occurred_at, merchant_id, sequence, data}}. {@code sequence} is 1, 2, 3 … per
 * aggregate (payment) in commit order, so a merchant can order events that arrive out of order.
 * It is computed inside the caller's transaction; callers must already hold the aggregate's row
 * lock (the payment row insert or update does), which serialises writers of one payment. A unique
 * index on {@code (aggregate_id, sequence)} turns an unserialised writer into an error rather than
 * a duplicate number (docs/adr/0020-event-sequence-and-catalogue.md).
 */
@Component
public final class OutboxWriter {

  private static final long SEQUENCE_PLACEHOLDER = Long.MIN_VALUE;
  private static final String PLACEHOLDER_DIGITS = Long.toString(SEQUENCE_PLACEHOLDER);
  private static final String SEQUENCE_TOKEN = "\"sequence\":" + PLACEHOLDER_DIGITS;

  private final DatabaseClient db;
  private final JsonMapper json;
  private final OutboxRelay relay;

  OutboxWriter(DatabaseClient db, JsonMapper json, OutboxRelay relay) {
    this.db = db;
    this.json = json;
    this.relay = relay;
  }

  /**
   * Writes one event.
   *
   * @param aggregateId the payment id; the Kafka key, so one payment's events stay in order
   * @param type e.g. {@code payment.succeeded}
   * @param data the resource as the API shows it
   * @return the event id ({@code evt_…})
   */
  public Mono<String> append(String aggregateId, String merchantId, String type, Instant occurredAt, Object data) {
    SingleStatement statement = new SingleStatement();
    String eventId = appendIn(statement, null, aggregateId, merchantId, type, occurredAt, data);
    return statement.execute(db).thenReturn(eventId);
  }

  /**
   * Adds {@link #append} to a caller's single statement: a CTE named {@code outbox_event},
   * parameters {@code :outbox_*}; at most one event per statement.
   *
   * @param after a CTE of the statement of at most one row, read first so that its row locks are
   *     held before the sequence is taken (the event is written only if it has a row); null for none
   * @return the event id ({@code evt_…})
   */
  public String appendIn(SingleStatement statement, String after, String aggregateId, String merchantId, String type,
      Instant occurredAt, Object data) {
    // Writers of one aggregate (a payment's outcome, its refunds, its callbacks) may commit
    // concurrently: outbox_next_sequence (V7) takes a transaction-scoped advisory lock on the
    // aggregate and then reads the highest sequence with a snapshot taken after the lock, so
    // sequences follow commit order and never collide, whatever row locks the caller holds.
    return insertIn(statement, after, "outbox_next_sequence(:outbox_aggregate)", aggregateId, merchantId, type,
        occurredAt, data);
  }

  /**
   * Writes the first event of an aggregate created in the caller's transaction (a new payment's
   * {@code payment.created}): sequence 1, without the lock and the read of {@link #append}. No
   * other transaction can see an uncommitted aggregate, so none can write its events; the unique
   * index on {@code (aggregate_id, sequence)} would still refuse a second sequence 1.
   *
   * <p>Added to a caller's single statement, like {@link #appendIn}.
   *
   * @param after a CTE of at most one row; the event is written only if it has a row
   * @return the event id ({@code evt_…})
   */
  public String appendFirstIn(SingleStatement statement, String after, String aggregateId, String merchantId,
      String type, Instant occurredAt, Object data) {
    return insertIn(statement, after, "1", aggregateId, merchantId, type, occurredAt, data);
  }

  private String insertIn(SingleStatement statement, String after, String sequence, String aggregateId,
      String merchantId, String type, Instant occurredAt, Object data) {
    String eventId = Ids.next("evt");
    Map<String, Object> event = new LinkedHashMap<>();
    event.put("id", eventId);
    event.put("type", type);
    event.put("occurred_at", occurredAt.toString());
    event.put("merchant_id", merchantId);
    // The event's mode is its object's (ADR 0078): every object view carries livemode.
    boolean livemode = livemodeOf(data);
    event.put("livemode", livemode);
    event.put("sequence", SEQUENCE_PLACEHOLDER);
    event.put("data", data);
    // The database numbers the event in the same statement: Jackson writes the JSON around the
    // number, the statement puts the number in. The placeholder is the first occurrence, since
    // "sequence" is written before "data".
    String payload = json.writeValueAsString(event);
    int at = payload.indexOf(SEQUENCE_TOKEN);
    statement.with("""
            outbox_event AS (
                INSERT INTO outbox (event_id, aggregate_id, merchant_id, type, sequence, payload, traceparent, livemode)
                SELECT :outbox_event, :outbox_aggregate, :outbox_merchant, :outbox_type, s.sequence,
                    :outbox_payload_head || s.sequence || :outbox_payload_tail, :outbox_traceparent, :outbox_livemode
                FROM (SELECT CAST(%s AS bigint) AS sequence%s) s
            )""".formatted(sequence, after == null ? "" : " FROM " + after))
        .bind("outbox_event", eventId)
        .bind("outbox_aggregate", aggregateId)
        .bind("outbox_merchant", merchantId)
        .bind("outbox_type", type)
        .bind("outbox_livemode", livemode)
        // The writing span's W3C traceparent: Kafka and the webhook join its trace (null: untraced).
        .bind("outbox_traceparent", TraceContext.current(), String.class)
        .bind("outbox_payload_head", payload.substring(0, at + SEQUENCE_TOKEN.length() - PLACEHOLDER_DIGITS.length()))
        .bind("outbox_payload_tail", payload.substring(at + SEQUENCE_TOKEN.length()));
    return eventId;
  }

  /** The {@code livemode} of an object's view (a map or a record shown as JSON); false when it has none. */
  private boolean livemodeOf(Object data) {
    if (data instanceof Map<?, ?> map) {
      return Boolean.TRUE.equals(map.get("livemode"));
    }
    return data != null && json.valueToTree(data).path("livemode").asBoolean(false);
  }

  /** Tells the relay that rows were committed, so it need not wait for its next poll. */
  public void committed() {
    relay.wakeUp();
  }
}

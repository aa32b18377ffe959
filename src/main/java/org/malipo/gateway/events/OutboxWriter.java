package org.malipo.gateway.events;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.malipo.gateway.common.Ids;
import org.malipo.gateway.common.SingleStatement;
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
   * One event to write in a statement ({@link #appendAllIn}).
   *
   * @param aggregateId the payment id; the Kafka key, so one payment's events stay in order
   * @param type e.g. {@code payment.succeeded}
   * @param data the resource as the API shows it
   */
  public record Event(String aggregateId, String merchantId, String type, Instant occurredAt, Object data) {}

  /**
   * Adds {@link #append} to a caller's single statement: a CTE named {@code outbox_event},
   * parameters {@code :outbox_*}; one such call per statement.
   *
   * @param after a CTE of the statement with an {@code id} column: the event is written only if
   *     its aggregate is among its rows, and after that CTE's row locks are held; null for none
   * @return the event id ({@code evt_…})
   */
  public String appendIn(SingleStatement statement, String after, String aggregateId, String merchantId, String type,
      Instant occurredAt, Object data) {
    return eventsIn(statement, after, List.of(new Event(aggregateId, merchantId, type, occurredAt, data)), false)
        .getFirst();
  }

  /**
   * Adds events of several aggregates to a caller's single statement, like {@link #appendIn}:
   * each numbered after the earlier events of its aggregate.
   *
   * @return the event ids ({@code evt_…}), in the order of {@code events}
   */
  public List<String> appendAllIn(SingleStatement statement, String after, List<Event> events) {
    return eventsIn(statement, after, events, false);
  }

  /**
   * Writes the first event of an aggregate created in the caller's transaction (a new payment's
   * {@code payment.created}): sequence 1, without the lock and the read of {@link #append}. No
   * other transaction can see an uncommitted aggregate, so none can write its events; the unique
   * index on {@code (aggregate_id, sequence)} would still refuse a second sequence 1.
   *
   * <p>Added to a caller's single statement, like {@link #appendIn}.
   *
   * @return the event id ({@code evt_…})
   */
  public String appendFirstIn(SingleStatement statement, String after, String aggregateId, String merchantId,
      String type, Instant occurredAt, Object data) {
    return eventsIn(statement, after, List.of(new Event(aggregateId, merchantId, type, occurredAt, data)), true)
        .getFirst();
  }

  private List<String> eventsIn(SingleStatement statement, String after, List<Event> events, boolean first) {
    List<String> ids = new ArrayList<>(events.size());
    List<String> heads = new ArrayList<>(events.size());
    List<String> tails = new ArrayList<>(events.size());
    for (Event e : events) {
      String eventId = Ids.next("evt");
      Map<String, Object> event = new LinkedHashMap<>();
      event.put("id", eventId);
      event.put("type", e.type());
      event.put("occurred_at", e.occurredAt().toString());
      event.put("merchant_id", e.merchantId());
      event.put("sequence", SEQUENCE_PLACEHOLDER);
      event.put("data", e.data());
      // The database numbers the event in the same statement: Jackson writes the JSON around the
      // number, the statement puts the number in. The placeholder is the first occurrence, since
      // "sequence" is written before "data".
      String payload = json.writeValueAsString(event);
      int at = payload.indexOf(SEQUENCE_TOKEN);
      ids.add(eventId);
      heads.add(payload.substring(0, at + SEQUENCE_TOKEN.length() - PLACEHOLDER_DIGITS.length()));
      tails.add(payload.substring(at + SEQUENCE_TOKEN.length()));
    }
    // Writers of one aggregate (a payment's outcome, its refunds, its callbacks) may commit
    // concurrently: outbox_next_sequence (V7) takes a transaction-scoped advisory lock on the
    // aggregate and then reads the highest sequence with a snapshot taken after the lock, so
    // sequences follow commit order and never collide, whatever row locks the caller holds.
    String sequence = first ? "1" : "outbox_next_sequence(e.aggregate_id)";
    statement.with("""
            outbox_event AS (
                INSERT INTO outbox (event_id, aggregate_id, merchant_id, type, sequence, payload)
                SELECT e.event_id, e.aggregate_id, e.merchant_id, e.type, s.sequence, e.head || s.sequence || e.tail
                FROM unnest(CAST(:outbox_events AS text[]), CAST(:outbox_aggregates AS text[]),
                    CAST(:outbox_merchants AS text[]), CAST(:outbox_types AS text[]), CAST(:outbox_heads AS text[]),
                    CAST(:outbox_tails AS text[])) AS e(event_id, aggregate_id, merchant_id, type, head, tail)
                %s
                CROSS JOIN LATERAL (SELECT CAST(%s AS bigint) AS sequence) s
            )""".formatted(after == null ? "" : "JOIN " + after + " a ON a.id = e.aggregate_id", sequence))
        .bind("outbox_events", ids.toArray(String[]::new))
        .bind("outbox_aggregates", events.stream().map(Event::aggregateId).toArray(String[]::new))
        .bind("outbox_merchants", events.stream().map(Event::merchantId).toArray(String[]::new))
        .bind("outbox_types", events.stream().map(Event::type).toArray(String[]::new))
        .bind("outbox_heads", heads.toArray(String[]::new))
        .bind("outbox_tails", tails.toArray(String[]::new));
    return ids;
  }

  /** Tells the relay that rows were committed, so it need not wait for its next poll. */
  public void committed() {
    relay.wakeUp();
  }
}

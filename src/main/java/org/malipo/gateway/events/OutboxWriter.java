package org.malipo.gateway.events;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.malipo.gateway.common.Ids;
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
    return nextSequence(aggregateId).flatMap(sequence -> insert(aggregateId, merchantId, type, occurredAt, data, sequence));
  }

  /**
   * Writes the first event of an aggregate created in the caller's transaction (a new payment's
   * {@code payment.created}): sequence 1, without the lock and the read of {@link #append}. No
   * other transaction can see an uncommitted aggregate, so none can write its events; the unique
   * index on {@code (aggregate_id, sequence)} would still refuse a second sequence 1.
   *
   * @return the event id ({@code evt_…})
   */
  public Mono<String> appendFirst(String aggregateId, String merchantId, String type, Instant occurredAt, Object data) {
    return insert(aggregateId, merchantId, type, occurredAt, data, 1L);
  }

  private Mono<String> insert(String aggregateId, String merchantId, String type, Instant occurredAt, Object data,
      long sequence) {
    String eventId = Ids.next("evt");
    Map<String, Object> event = new LinkedHashMap<>();
    event.put("id", eventId);
    event.put("type", type);
    event.put("occurred_at", occurredAt.toString());
    event.put("merchant_id", merchantId);
    event.put("sequence", sequence);
    event.put("data", data);
    return db.sql("""
            INSERT INTO outbox (event_id, aggregate_id, merchant_id, type, sequence, payload)
            VALUES (:event, :aggregate, :merchant, :type, :sequence, :payload)""")
        .bind("event", eventId)
        .bind("aggregate", aggregateId)
        .bind("merchant", merchantId)
        .bind("type", type)
        .bind("sequence", sequence)
        .bind("payload", json.writeValueAsString(event))
        .then()
        .thenReturn(eventId);
  }

  /**
   * The aggregate's next sequence number. Read in the caller's transaction after its row lock was
   * taken; under READ COMMITTED this statement sees every earlier writer's committed row.
   */
  private Mono<Long> nextSequence(String aggregateId) {
    // Writers of one aggregate (a payment's outcome, its refunds, its callbacks) may commit
    // concurrently: outbox_next_sequence (V7) takes a transaction-scoped advisory lock on the
    // aggregate and then reads the highest sequence with a snapshot taken after the lock, so
    // sequences follow commit order and never collide, whatever row locks the caller holds.
    return db.sql("SELECT outbox_next_sequence(:aggregate) AS next")
        .bind("aggregate", aggregateId)
        .map(row -> row.get("next", Long.class))
        .one();
  }


  /** Tells the relay that rows were committed, so it need not wait for its next poll. */
  public void committed() {
    relay.wakeUp();
  }
}

package org.malipo.gateway.support;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A local OpenTelemetry collector for tests: an HTTP server on 127.0.0.1 that takes OTLP/HTTP
 * protobuf trace exports ({@code POST /v1/traces}, {@code ExportTraceServiceRequest} of
 * opentelemetry-proto's {@code trace/v1/trace.proto}) and keeps the spans it decodes. Only the
 * fields a test asserts on are decoded; the rest is skipped by wire type.
 */
public final class OtlpReceiver implements AutoCloseable {

  /** One received span: ids in lowercase hex, parent empty for a root. */
  public record ReceivedSpan(String traceId, String spanId, String parentSpanId, String name,
      Map<String, String> attributes) {}

  private final HttpServer server;
  private final List<ReceivedSpan> spans = new CopyOnWriteArrayList<>();

  /** Starts the receiver on a free port. */
  public OtlpReceiver() {
    try {
      server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    server.createContext("/v1/traces", exchange -> {
      try (InputStream body = exchange.getRequestBody()) {
        spans.addAll(decodeRequest(body.readAllBytes()));
      }
      exchange.getResponseHeaders().set("Content-Type", "application/x-protobuf");
      exchange.sendResponseHeaders(200, -1); // an empty ExportTraceServiceResponse
      exchange.close();
    });
    server.start();
  }

  /** The URL to give {@code management.opentelemetry.tracing.export.otlp.endpoint}. */
  public String endpoint() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1/traces";
  }

  /** Every span received so far. */
  public List<ReceivedSpan> spans() {
    return List.copyOf(spans);
  }

  @Override
  public void close() {
    server.stop(0);
  }

  // --- protobuf wire format (https://protobuf.dev/programming-guides/encoding/) ---

  static List<ReceivedSpan> decodeRequest(byte[] bytes) {
    List<ReceivedSpan> out = new ArrayList<>();
    for (Field resourceSpans : fields(bytes, 1)) {          // ExportTraceServiceRequest.resource_spans
      for (Field scopeSpans : fields(resourceSpans.bytes(), 2)) { // ResourceSpans.scope_spans
        for (Field span : fields(scopeSpans.bytes(), 2)) {  // ScopeSpans.spans
          out.add(decodeSpan(span.bytes()));
        }
      }
    }
    return out;
  }

  private static ReceivedSpan decodeSpan(byte[] bytes) {
    HexFormat hex = HexFormat.of();
    String traceId = "";
    String spanId = "";
    String parent = "";
    String name = "";
    Map<String, String> attributes = new LinkedHashMap<>();
    for (Field field : fields(bytes, -1)) {
      switch (field.number()) {
        case 1 -> traceId = hex.formatHex(field.bytes());
        case 2 -> spanId = hex.formatHex(field.bytes());
        case 4 -> parent = hex.formatHex(field.bytes());
        case 5 -> name = new String(field.bytes(), StandardCharsets.UTF_8);
        case 9 -> { // KeyValue { string key = 1; AnyValue value = 2 { string string_value = 1 } }
          String key = "";
          String value = "";
          for (Field kv : fields(field.bytes(), -1)) {
            if (kv.number() == 1) {
              key = new String(kv.bytes(), StandardCharsets.UTF_8);
            } else if (kv.number() == 2) {
              for (Field any : fields(kv.bytes(), 1)) {
                value = new String(any.bytes(), StandardCharsets.UTF_8);
              }
            }
          }
          attributes.put(key, value);
        }
        default -> { }
      }
    }
    return new ReceivedSpan(traceId, spanId, parent, name, attributes);
  }

  private record Field(int number, byte[] bytes) {}

  /** The length-delimited fields of a message, all of them ({@code wanted} -1) or one number's. */
  private static List<Field> fields(byte[] message, int wanted) {
    List<Field> out = new ArrayList<>();
    int[] at = {0};
    while (at[0] < message.length) {
      long key = varint(message, at);
      int number = (int) (key >>> 3);
      int wireType = (int) (key & 7);
      switch (wireType) {
        case 0 -> varint(message, at);
        case 1 -> at[0] += 8;
        case 5 -> at[0] += 4;
        case 2 -> {
          int length = (int) varint(message, at);
          if (wanted == -1 || wanted == number) {
            byte[] value = new byte[length];
            System.arraycopy(message, at[0], value, 0, length);
            out.add(new Field(number, value));
          }
          at[0] += length;
        }
        default -> throw new IllegalArgumentException("unexpected wire type " + wireType);
      }
    }
    return out;
  }

  private static long varint(byte[] bytes, int[] at) {
    long value = 0;
    for (int shift = 0; ; shift += 7) {
      byte b = bytes[at[0]++];
      value |= (long) (b & 0x7f) << shift;
      if ((b & 0x80) == 0) {
        return value;
      }
    }
  }
}

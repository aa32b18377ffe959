import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import reactor.core.publisher.Mono;
import reactor.netty.ByteBufFlux;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;
import reactor.netty.resources.LoopResources;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The benchmark's load generator (issue 25, item 3): one JVM for every step of a
 * {@code loadtest/bench.sh} run, so it is warm from the second step on and its own CPU per request
 * stays small on the two cores it shares with the gateway. Open model: request {@code k} of a step
 * is due at {@code start + k / rate} whether or not earlier ones have been answered, and its
 * latency is measured from that due time (a generator that falls behind shows as latency, not as a
 * lower rate). HTTP through Reactor Netty on one event-loop thread; latencies in an HdrHistogram.
 *
 * <p>Usage: {@code java -cp <gateway test classpath>:<dir of this class> OpenLoadGenerator <baseUrl>};
 * commands arrive on stdin, one per line, {@code key=value} words:
 * <ul>
 *   <li>{@code step label=L rate=R settle=S duration=D [method=card|mpesa|read] [merchants=M]
 *       [out=FILE] [markers=DIR] [connections=N]}: sends {@code R} payments/s for {@code S + D}
 *       seconds; only the last {@code D} seconds are measured. Writes {@code DIR/measure-start}
 *       when the measured phase starts and, once every request of the step is answered (or timed
 *       out), the summary to {@code FILE} and then {@code DIR/measure-end}. Each marker holds this
 *       JVM's CPU time so far in ns. The summary has the lines of Gatling's console summary that
 *       {@code bench.sh} reads ({@code > request count | total | ok | ko}, percentiles in ms),
 *       plus {@code > generator requests} for its CPU per request. {@code method=read} sends
 *       {@code GET /v1/payments?limit=1} instead (OK: {@code 200}): the cheapest authenticated call,
 *       the stack's floor per request (bench.sh scenario {@code floor}).</li>
 *   <li>{@code reset}: forget the merchants created so far (the gateway's database was replaced).</li>
 *   <li>{@code quit}.</li>
 * </ul>
 *
 * <p>The workload (issue 25, item 2) is what a checkout sends, not one card: {@value #CARDS}
 * Luhn-valid cards (Visa and Mastercard BINs, none of the sandbox's test cards, so the sandbox
 * acquirer approves them all: {@code docs/rails/sandbox-acquirer.md}), each drawn at random per
 * payment, so at 3,000/s a card pays ~2 times a minute (the velocity rule fires above
 * {@code malipo.fraud.card-payments-per-minute-max}, 20); amounts log-uniform from KES 1 to KES
 * 20,000; several access tokens per merchant, each request using one of them in turn. With
 * {@code merchants=1} every payment is the demo merchant's (one hot balance row); with
 * {@code merchants=M} the generator creates {@code M} merchants through {@code POST /v1/merchants}
 * (the local profile's operator client) and spreads the payments over them. A request is OK when
 * answered {@code 201} with {@code "status":"succeeded"} ({@code "pending"} for M-Pesa STK pushes to
 * the sandbox's succeeding number), a substring check.
 */
public final class OpenLoadGenerator {

  static final int CARDS = 100_000;
  private static final String[] BINS = {"453201", "471604", "492913", "448590", "510510", "535522", "542418", "222300"};
  private static final Duration TIMEOUT = Duration.ofSeconds(60);
  private static final long MIN_AMOUNT = 100;
  private static final long MAX_AMOUNT = 2_000_000;
  /** Tokens per merchant when there is one merchant; with many, one each. */
  private static final int TOKENS_ONE_MERCHANT = 4;

  private final String baseUrl;
  private final HttpClient client;
  private final JsonMapper json = JsonMapper.builder().build();
  private final String[] cards = new String[CARDS];
  private final List<String[]> createdMerchants = new ArrayList<>(); // {client_id, client_secret}

  OpenLoadGenerator(String baseUrl, int maxConnections) {
    this.baseUrl = baseUrl;
    ConnectionProvider pool = ConnectionProvider.builder("bench")
        .maxConnections(maxConnections)
        .pendingAcquireMaxCount(200_000) // bounded: an arrival beyond it is a failed request
        .pendingAcquireTimeout(TIMEOUT)
        .build();
    this.client = HttpClient.create(pool)
        .runOn(LoopResources.create("bench-gen", 1, true))
        .baseUrl(baseUrl)
        .responseTimeout(TIMEOUT);
    for (int i = 0; i < CARDS; i++) {
      cards[i] = luhnComplete(BINS[i % BINS.length] + String.format("%09d", i / BINS.length));
    }
  }

  public static void main(String[] args) throws IOException {
    if (args.length < 1) {
      throw new IllegalArgumentException("usage: OpenLoadGenerator <baseUrl> [maxConnections]");
    }
    int maxConnections = args.length > 1 ? Integer.parseInt(args[1]) : 5000;
    OpenLoadGenerator generator = new OpenLoadGenerator(args[0].replaceAll("/+$", ""), maxConnections);
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String line; (line = in.readLine()) != null; ) {
      line = line.strip();
      if (line.isEmpty()) {
        continue;
      }
      String[] words = line.split("\\s+");
      Map<String, String> options = new HashMap<>();
      for (int i = 1; i < words.length; i++) {
        int eq = words[i].indexOf('=');
        if (eq < 1) {
          throw new IllegalArgumentException("not key=value: " + words[i]);
        }
        options.put(words[i].substring(0, eq), words[i].substring(eq + 1));
      }
      switch (words[0]) {
        case "step" -> {
          try {
            generator.step(options);
          } catch (RuntimeException e) {
            // bench.sh waits for the markers: write them so it moves on, and say why in the log.
            System.err.println("step " + options.get("label") + " failed: " + e);
            e.printStackTrace();
            generator.marker(options.get("markers"), "measure-start");
            generator.marker(options.get("markers"), "measure-end");
          }
        }
        case "reset" -> generator.createdMerchants.clear();
        case "quit" -> {
          System.exit(0);
        }
        default -> throw new IllegalArgumentException("unknown command " + words[0]);
      }
    }
    System.exit(0);
  }

  /** One step: settle, measure, drain, summarise. */
  void step(Map<String, String> o) {
    String label = o.getOrDefault("label", "step");
    double rate = Double.parseDouble(o.getOrDefault("rate", "50"));
    long settleSeconds = Long.parseLong(o.getOrDefault("settle", "0"));
    long durationSeconds = Long.parseLong(o.getOrDefault("duration", "10"));
    String method = o.getOrDefault("method", "card");
    boolean mpesa = "mpesa".equals(method);
    boolean read = "read".equals(method);
    if (!List.of("card", "mpesa", "read").contains(method)) {
      throw new IllegalArgumentException("method must be card, mpesa or read: " + o);
    }
    int merchants = Integer.parseInt(o.getOrDefault("merchants", "1"));
    String markers = o.get("markers");
    String out = o.get("out");
    if (!(rate > 0) || durationSeconds <= 0 || settleSeconds < 0 || merchants < 1) {
      throw new IllegalArgumentException("rate and duration must be > 0, settle >= 0, merchants >= 1: " + o);
    }

    String[] tokens = tokens(merchants);
    String okMarker = mpesa ? "\"status\":\"pending\"" : "\"status\":\"succeeded\"";
    Histogram ok = new Histogram(TIMEOUT.toMillis() * 2_000, 3); // µs
    Histogram ko = new Histogram(TIMEOUT.toMillis() * 2_000, 3);
    Map<String, AtomicLong> errors = new TreeMap<>();
    AtomicLong outstanding = new AtomicLong();

    long start = System.nanoTime();
    long measureFrom = start + settleSeconds * 1_000_000_000L;
    long end = measureFrom + durationSeconds * 1_000_000_000L;
    double intervalNanos = 1e9 / rate;
    boolean measuring = false;
    long sent = 0;
    long measuredSent = 0;
    while (true) {
      long now = System.nanoTime();
      if (!measuring && now >= measureFrom) {
        measuring = true;
        marker(markers, "measure-start");
      }
      if (now >= end) {
        break;
      }
      // Every request due by now, each timed from its own due time.
      while (true) {
        long due = start + (long) (sent * intervalNanos);
        if (due > now || due >= end) {
          break;
        }
        boolean measured = due >= measureFrom;
        if (measured) {
          measuredSent++;
        }
        String token = tokens[(int) (sent % tokens.length)];
        if (read) {
          read(token, due, measured ? ok : null, measured ? ko : null, errors, outstanding);
        } else {
          send(token, mpesa, okMarker, due, measured ? ok : null, measured ? ko : null, errors, outstanding);
        }
        sent++;
      }
      // Asleep until the next request is due (or the measured phase starts): no busy polling,
      // whose wake-ups would be the generator's main cost at low rates.
      long next = Math.min(start + (long) (sent * intervalNanos), measuring ? end : Math.min(measureFrom, end));
      LockSupport.parkNanos(Math.max(20_000L, next - System.nanoTime()));
    }
    // Drain: every request of the step answered or timed out.
    long drainLimit = System.nanoTime() + TIMEOUT.toNanos() + 5_000_000_000L;
    while (outstanding.get() > 0 && System.nanoTime() < drainLimit) {
      LockSupport.parkNanos(1_000_000L);
    }
    summary(out, label, rate, durationSeconds, measuredSent, ok, ko, errors);
    marker(markers, "measure-end");
  }

  private void send(String token, boolean mpesa, String okMarker, long due, Histogram ok, Histogram ko,
      Map<String, AtomicLong> errors, AtomicLong outstanding) {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    // 32 hex digits (the top bit set so each half has 16): 127 random bits, never a replay.
    String key = Long.toHexString(random.nextLong() | Long.MIN_VALUE) + Long.toHexString(random.nextLong() | Long.MIN_VALUE);
    String body = mpesa ? mpesaJson(key) : cardJson(key, random);
    outstanding.incrementAndGet();
    client.request(HttpMethod.POST)
        .uri("/v1/payments")
        .send((request, outbound) -> {
          request.header(HttpHeaderNames.AUTHORIZATION, token)
              .header("Idempotency-Key", key)
              .header(HttpHeaderNames.CONTENT_TYPE, "application/json")
              .header(HttpHeaderNames.ACCEPT, "application/json");
          return outbound.sendString(Mono.just(body));
        })
        .responseSingle((response, content) -> content.asString().defaultIfEmpty("")
            .map(text -> response.status().code() == 201 && text.contains(okMarker)
                ? "" : "status " + response.status().code() + " " + (response.status().code() == 201 ? field(text, "status") : field(text, "code"))))
        .subscribe(
            failure -> done(due, failure, ok, ko, errors, outstanding),
            error -> done(due, error.getClass().getSimpleName(), ok, ko, errors, outstanding));
  }

  /** One authenticated read, {@code GET /v1/payments?limit=1}: OK when answered 200. */
  private void read(String token, long due, Histogram ok, Histogram ko, Map<String, AtomicLong> errors,
      AtomicLong outstanding) {
    outstanding.incrementAndGet();
    client.request(HttpMethod.GET)
        .uri("/v1/payments?limit=1")
        .send((request, outbound) -> {
          request.header(HttpHeaderNames.AUTHORIZATION, token).header(HttpHeaderNames.ACCEPT, "application/json");
          return outbound;
        })
        .responseSingle((response, content) -> content.asString().defaultIfEmpty("")
            .map(text -> response.status().code() == 200 ? "" : "status " + response.status().code() + " " + field(text, "code")))
        .subscribe(
            failure -> done(due, failure, ok, ko, errors, outstanding),
            error -> done(due, error.getClass().getSimpleName(), ok, ko, errors, outstanding));
  }

  /** {@code "name":"value"} of a JSON answer, found as a substring (failures only), or "". */
  private static String field(String body, String name) {
    String prefix = "\"" + name + "\":\"";
    int at = body.indexOf(prefix);
    int close = at < 0 ? -1 : body.indexOf('"', at + prefix.length());
    return close < 0 ? "" : body.substring(at, close + 1);
  }

  private static void done(long due, String failure, Histogram ok, Histogram ko, Map<String, AtomicLong> errors,
      AtomicLong outstanding) {
    long micros = Math.max(1, (System.nanoTime() - due) / 1_000);
    if (ok != null) {
      if (failure.isEmpty()) {
        synchronized (ok) {
          ok.recordValue(Math.min(micros, ok.getHighestTrackableValue()));
        }
      } else {
        synchronized (ko) {
          ko.recordValue(Math.min(micros, ko.getHighestTrackableValue()));
        }
        synchronized (errors) {
          errors.computeIfAbsent(failure, f -> new AtomicLong()).incrementAndGet();
        }
      }
    }
    outstanding.decrementAndGet();
  }

  private String cardJson(String key, ThreadLocalRandom random) {
    int card = random.nextInt(CARDS);
    // Log-uniform: many small baskets, a few large ones.
    long amount = Math.round(Math.exp(random.nextDouble(Math.log(MIN_AMOUNT), Math.log(MAX_AMOUNT))));
    return "{\"amount\":" + amount + ",\"currency\":\"KES\",\"payment_method\":{\"type\":\"card\",\"number\":\""
        + cards[card] + "\",\"exp_month\":" + (1 + card % 12) + ",\"exp_year\":" + (2028 + card % 5)
        + ",\"cvc\":\"" + (100 + card % 900) + "\"},\"reference\":\"" + reference(key) + "\"}";
  }

  private static String mpesaJson(String key) {
    return "{\"amount\":1500,\"currency\":\"KES\",\"payment_method\":{\"type\":\"mobile_money\",\"operator\":\"mpesa\","
        + "\"msisdn\":\"+254708374149\"},\"reference\":\"" + reference(key) + "\"}";
  }

  /**
   * {@code load-} and the key's first 12 hex digits, a dash after the eighth (the shape of a UUID's
   * first 13 characters): at most 12 digits, while the gateway refuses 13 or more Luhn-valid
   * digits in a reference, also across a dash, as a card number (common.CardNumbers).
   */
  private static String reference(String key) {
    return "load-" + key.substring(0, 8) + "-" + key.substring(8, 12);
  }

  /** Bearer headers: {@value #TOKENS_ONE_MERCHANT} of the demo merchant, or one per created merchant. */
  private String[] tokens(int merchants) {
    List<String> tokens = new ArrayList<>();
    if (merchants == 1) {
      for (int i = 0; i < TOKENS_ONE_MERCHANT; i++) {
        tokens.add("Bearer " + token("demo_client", "demo_secret"));
      }
      return tokens.toArray(String[]::new);
    }
    if (createdMerchants.size() < merchants) {
      String admin = "Bearer " + token("admin_client", "admin_secret");
      while (createdMerchants.size() < merchants) {
        JsonNode created = post("/v1/merchants", admin, "application/json",
            "{\"name\":\"Bench merchant " + createdMerchants.size() + "\",\"country\":\"KE\"}", 201);
        createdMerchants.add(new String[] {created.get("client_id").asString(), created.get("client_secret").asString()});
      }
    }
    for (String[] merchant : createdMerchants.subList(0, merchants)) {
      tokens.add("Bearer " + token(merchant[0], merchant[1]));
    }
    // Interleaved, so consecutive payments belong to different merchants.
    java.util.Collections.shuffle(tokens);
    return tokens.toArray(String[]::new);
  }

  private String token(String clientId, String secret) {
    // RFC 6749 §2.3.1: id and secret are form-encoded before they are joined and base64-encoded.
    String credentials = URLEncoder.encode(clientId, StandardCharsets.UTF_8) + ":" + URLEncoder.encode(secret, StandardCharsets.UTF_8);
    JsonNode answer = post("/v1/oauth/token",
        "Basic " + Base64.getEncoder().encodeToString(credentials.getBytes(StandardCharsets.UTF_8)),
        "application/x-www-form-urlencoded", "grant_type=client_credentials", 200);
    return answer.get("access_token").asString();
  }

  /** A set-up request (not load): blocks the command thread, never an event loop. */
  private JsonNode post(String path, String authorization, String contentType, String body, int expected) {
    String[] answer = client.headers(h -> h.set(HttpHeaderNames.AUTHORIZATION, authorization)
            .set(HttpHeaderNames.CONTENT_TYPE, contentType).set(HttpHeaderNames.ACCEPT, "application/json"))
        .post()
        .uri(path)
        .send(ByteBufFlux.fromString(Mono.just(body)))
        .responseSingle((response, content) -> content.asString().defaultIfEmpty("")
            .map(text -> new String[] {Integer.toString(response.status().code()), text}))
        .block(TIMEOUT);
    if (answer == null || Integer.parseInt(answer[0]) != expected) {
      throw new IllegalStateException("POST " + baseUrl + path + " answered " + (answer == null ? "nothing" : answer[0] + ": " + answer[1]));
    }
    return json.readTree(answer[1]);
  }

  void marker(String dir, String name) {
    if (dir == null) {
      return;
    }
    long cpuNanos = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    write(Path.of(dir, name), Long.toString(cpuNanos));
  }

  private static void summary(String out, String label, double rate, long seconds, long sent, Histogram ok, Histogram ko,
      Map<String, AtomicLong> errors) {
    Histogram all = ok.copy();
    all.add(ko);
    StringBuilder s = new StringBuilder();
    s.append("---- ").append(label).append(": ").append(rate).append("/s for ").append(seconds).append(" s (OpenLoadGenerator) ----\n");
    s.append(row("request count", all.getTotalCount(), ok.getTotalCount(), ko.getTotalCount()));
    s.append(row("min response time (ms)", ms(all, -1), ms(ok, -1), ms(ko, -1)));
    s.append(row("max response time (ms)", ms(all, 101), ms(ok, 101), ms(ko, 101)));
    for (int p : new int[] {50, 75, 95, 99}) {
      s.append(row("response time " + p + "th percentile (ms)", ms(all, p), ms(ok, p), ms(ko, p)));
    }
    s.append(row("mean throughput (rps)", all.getTotalCount() / (double) seconds, ok.getTotalCount() / (double) seconds,
        ko.getTotalCount() / (double) seconds));
    s.append("> generator requests | ").append(sent).append('\n');
    s.append("---- Errors ----\n");
    errors.forEach((reason, count) -> s.append("> ").append(reason).append(": ").append(count.get()).append('\n'));
    if (out == null) {
      System.out.print(s);
    } else {
      write(Path.of(out), s.toString());
    }
  }

  /** Milliseconds of a percentile (-1 = min, 101 = max), or "-" for an empty histogram. */
  private static Object ms(Histogram h, int percentile) {
    if (h.getTotalCount() == 0) {
      return "-";
    }
    long micros = percentile < 0 ? h.getMinValue() : percentile > 100 ? h.getMaxValue() : h.getValueAtPercentile(percentile);
    return Math.round(micros / 1000.0);
  }

  private static String row(String name, Object total, Object ok, Object ko) {
    String format = total instanceof Double ? "%.2f" : "%s";
    return String.format("> %-60s| %10s | %10s | %10s%n", name, String.format(format, total), String.format(format, ok),
        String.format(format, ko));
  }

  private static void write(Path path, String text) {
    try {
      Files.writeString(path, text);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + path, e);
    }
  }

  /** The 15/16-digit PAN: {@code partial} followed by its Luhn check digit. */
  static String luhnComplete(String partial) {
    int sum = 0;
    boolean twice = true; // the digit left of the check digit is doubled
    for (int i = partial.length() - 1; i >= 0; i--) {
      int d = partial.charAt(i) - '0';
      if (twice) {
        d *= 2;
        if (d > 9) {
          d -= 9;
        }
      }
      sum += d;
      twice = !twice;
    }
    return partial + (10 - sum % 10) % 10;
  }
}

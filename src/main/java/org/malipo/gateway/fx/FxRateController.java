package org.malipo.gateway.fx;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.malipo.gateway.api.ApiProblem;
import org.malipo.gateway.api.ProblemCode;
import org.malipo.gateway.audit.AuditAction;
import org.malipo.gateway.audit.AuditLog;
import org.malipo.gateway.auth.Principal;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.transaction.ReactiveTransactionManager;
import org.springframework.transaction.reactive.TransactionalOperator;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * {@code GET /v1/fx_rates} (scope {@code admin}): the rate that applies now to every stored pair,
 * {@code {object: "list", data: [{object: "fx_rate", base, quote, rate, as_of, source}], has_more:
 * false}}, by base and quote. {@code rate} is a decimal string (1 base = rate quote), never a JSON
 * number, so no client parses it into a float.
 *
 * <p>{@code POST /v1/fx_rates} (scope {@code admin}, body {@code text/csv} in the format of
 * {@link FxRateFile}): adds rates without a restart, all or nothing, append-only (a pair and
 * {@code as_of} already stored keep their rate); {@code 201 {object: "fx_rate_upload", received,
 * added}}, {@code 200} when nothing was new; {@code 400 fx_rates_invalid} with {@code line} for a
 * malformed file, nothing stored. Audited ({@code fx_rates.uploaded}).
 */
@RestController
final class FxRateController {

  /** At most this many pairs are listed (the file holds at most {@link FxRateFile#LINES_MAX} rates). */
  static final int PAIRS_MAX = 1_000;

  private static final byte[] EMPTY = new byte[0];

  private final FxRates rates;
  private final AuditLog audit;
  private final TransactionalOperator tx;

  FxRateController(FxRates rates, AuditLog audit, ReactiveTransactionManager transactions) {
    this.rates = rates;
    this.audit = audit;
    this.tx = TransactionalOperator.create(transactions);
  }

  /** An upload's outcome on the wire. */
  record UploadView(String object, int received, long added) {}

  /** A rate on the wire. */
  record RateView(String object, String base, String quote, String rate, String asOf, String source) {}

  /** The list. */
  record Page(String object, List<RateView> data, boolean hasMore) {}

  @GetMapping(path = "/v1/fx_rates", produces = MediaType.APPLICATION_JSON_VALUE)
  Mono<Page> list(ServerWebExchange exchange) {
    Principal.of(exchange).require(Principal.ADMIN);
    return rates.latestOfEveryPair()
        .take(PAIRS_MAX + 1)
        .map(r -> new RateView("fx_rate", r.base().code(), r.quote().code(), r.rate().toPlainString(), r.asOf().toString(),
            r.source()))
        .collectList()
        .map(all -> new Page("list", all.size() > PAIRS_MAX ? all.subList(0, PAIRS_MAX) : all, all.size() > PAIRS_MAX));
  }

  @PostMapping(path = "/v1/fx_rates", consumes = "text/csv", produces = MediaType.APPLICATION_JSON_VALUE)
  Mono<ResponseEntity<UploadView>> upload(@RequestBody(required = false) Mono<byte[]> body, ServerWebExchange exchange) {
    Principal.of(exchange).require(Principal.ADMIN);
    return body.defaultIfEmpty(EMPTY)
        .map(FxRateController::parse)
        // The rates and their audit row commit together.
        .flatMap(parsed -> tx.transactional(rates.add(parsed)
                .flatMap(added -> audit.record(audit.context(exchange), AuditAction.FX_RATES_UPLOADED, "fx_rates",
                    Map.of("received", parsed.size(), "added", added)).thenReturn(added)))
            .map(added -> ResponseEntity.status(added > 0 ? HttpStatus.CREATED : HttpStatus.OK)
                .body(new UploadView("fx_rate_upload", parsed.size(), added))));
  }

  private static List<FxRate> parse(byte[] bytes) {
    try (Reader reader = new InputStreamReader(new ByteArrayInputStream(bytes), StandardCharsets.UTF_8)) {
      return FxRateFile.parse(reader);
    } catch (FxRateFile.Invalid e) {
      throw ApiProblem.of(ProblemCode.FX_RATES_INVALID, "The rate file is not valid: " + e.getMessage() + ".")
          .withExtensions(Map.of("line", Long.toString(e.line())));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}

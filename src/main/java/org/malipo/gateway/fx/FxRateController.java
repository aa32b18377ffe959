package org.malipo.gateway.fx;

import java.util.List;
import org.malipo.gateway.auth.Principal;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * {@code GET /v1/fx_rates} (scope {@code admin}): the rate that applies now to every stored pair,
 * {@code {object: "list", data: [{object: "fx_rate", base, quote, rate, as_of, source}], has_more:
 * false}}, by base and quote. {@code rate} is a decimal string (1 base = rate quote), never a JSON
 * number, so no client parses it into a float.
 */
@RestController
final class FxRateController {

  /** At most this many pairs are listed (the file holds at most {@link FxRateFile#LINES_MAX} rates). */
  static final int PAIRS_MAX = 1_000;

  private final FxRates rates;

  FxRateController(FxRates rates) {
    this.rates = rates;
  }

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
}

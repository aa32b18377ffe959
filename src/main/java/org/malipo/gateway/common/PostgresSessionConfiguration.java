package org.malipo.gateway.common;

import io.r2dbc.spi.Option;
import java.util.Map;
import org.springframework.boot.r2dbc.autoconfigure.ConnectionFactoryOptionsBuilderCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Session settings of the gateway's PostgreSQL connections, sent in the startup message.
 *
 * <p>{@code plan_cache_mode = force_generic_plan}: a prepared statement is planned once per
 * connection. The payment writes bind arrays ({@link SingleStatement}, docs/adr/0063); for those
 * PostgreSQL's default ({@code auto}) compares each custom plan, which knows the array's length,
 * with the generic one, which guesses 10 rows per {@code unnest}, finds the generic plan dearer and
 * so re-plans the long statement on every execution: measured at 100 payments/s, PostgreSQL's
 * CPU per payment went from 2.3 to 10 ms. Every other statement is a key or index look-up whose
 * partial-index predicates are literals, so a generic plan is the plan it would get anyway.
 */
@Configuration(proxyBeanMethods = false)
class PostgresSessionConfiguration {

  /** r2dbc-postgresql's {@code options} (its PostgresqlConnectionFactoryProvider.OPTIONS; the driver is a runtime dependency). */
  private static final Option<Map<String, String>> SESSION_OPTIONS = Option.valueOf("options");

  @Bean
  ConnectionFactoryOptionsBuilderCustomizer postgresSessionOptions() {
    return options -> options.option(SESSION_OPTIONS,
        Map.of("plan_cache_mode", "force_generic_plan"));
  }
}

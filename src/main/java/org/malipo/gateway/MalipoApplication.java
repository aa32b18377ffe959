package org.malipo.gateway;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.r2dbc.autoconfigure.R2dbcProxyAutoConfiguration;
import org.springframework.boot.r2dbc.autoconfigure.observation.R2dbcObservationAutoConfiguration;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/**
 * Entry point of the Malipo payment gateway (see {@code README.md} for the local run).
 *
 * <p>Spring Boot's R2DBC proxy and observation auto-configurations are off: with r2dbc-proxy on the
 * class path they would wrap the connection factory in every profile, the benchmark's too;
 * {@code common.DatabaseSpans} wraps it only when tracing is on (docs/adr/0089).
 */
@SpringBootApplication(exclude = {R2dbcProxyAutoConfiguration.class, R2dbcObservationAutoConfiguration.class})
@ConfigurationPropertiesScan
public class MalipoApplication {

  /**
   * Starts the gateway.
   *
   * @param args Spring Boot command-line arguments
   */
  public static void main(String[] args) {
    SpringApplication.run(MalipoApplication.class, args);
  }
}

package org.malipo.gateway;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/** Entry point of the Malipo payment gateway (see {@code README.md} for the local run). */
@SpringBootApplication
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

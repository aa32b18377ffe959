package org.malipo.gateway;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.malipo.gateway.support.InProcessKafka;
import org.springframework.boot.SpringApplication;

/**
 * The local run: {@code ./mvnw spring-boot:test-run} starts the gateway in the {@code local}
 * profile with an in-process Kafka broker, the sandbox rails and a seeded demo merchant. It lives
 * in {@code src/test} because the broker is test-scoped. With {@code MALIPO_KAFKA_BOOTSTRAP} set, it
 * uses that broker instead (loadtest/bench.sh starts {@link StandaloneKafka} in its own JVM).
 */
public final class LocalMalipoApplication {

  private LocalMalipoApplication() {}

  /**
   * Checks PostgreSQL and Redis, starts the broker, then the gateway on port 8080.
   *
   * @param args Spring Boot command-line arguments
   * @throws IllegalStateException naming the host and port of a dependency that does not answer
   */
  public static void main(String[] args) {
    requireReachable("PostgreSQL", env("MALIPO_DB_HOST", "127.0.0.1"), Integer.parseInt(env("MALIPO_DB_PORT", "5432")));
    requireReachable("Redis", env("MALIPO_REDIS_HOST", "127.0.0.1"), Integer.parseInt(env("MALIPO_REDIS_PORT", "6379")));
    createDatabaseIfMissing(env("MALIPO_DB_HOST", "127.0.0.1"), env("MALIPO_DB_PORT", "5432"),
        env("MALIPO_DB_NAME", "malipo"), env("MALIPO_DB_USER", "postgres"));
    // A broker already running elsewhere (the benchmark runs it in its own JVM) replaces the in-process one.
    String externalKafka = env("MALIPO_KAFKA_BOOTSTRAP", "");
    System.setProperty("malipo.kafka.bootstrap-servers",
        externalKafka.isEmpty() ? InProcessKafka.bootstrapServers() : externalKafka);
    SpringApplication application = new SpringApplication(MalipoApplication.class);
    application.setAdditionalProfiles("local");
    application.run(args);
  }

  /** First run on a fresh machine: the local database does not exist yet (JDBC: start-up only). */
  private static void createDatabaseIfMissing(String host, String port, String database, String user) {
    String url = "jdbc:postgresql://" + host + ":" + port + "/postgres";
    try (Connection connection = DriverManager.getConnection(url, user, System.getenv().getOrDefault("MALIPO_DB_PASSWORD", ""));
        PreparedStatement exists = connection.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
      exists.setString(1, database);
      try (ResultSet rows = exists.executeQuery()) {
        if (!rows.next()) {
          try (Statement create = connection.createStatement()) {
            create.execute("CREATE DATABASE \"" + database.replace("\"", "") + "\"");
          }
        }
      }
    } catch (SQLException e) {
      throw new IllegalStateException("PostgreSQL at " + host + ":" + port + " refused to create database "
          + database + ": " + e.getMessage(), e);
    }
  }

  private static String env(String name, String fallback) {
    String value = System.getenv(name);
    return value == null || value.isBlank() ? fallback : value;
  }

  private static void requireReachable(String service, String host, int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(host, port), 2_000);
    } catch (IOException e) {
      throw new IllegalStateException(service + " is not reachable at " + host + ":" + port
          + " (" + e.getMessage() + "). Start it first; see README.md.", e);
    }
  }
}

package org.malipo.gateway.support;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A fresh PostgreSQL database per test JVM, dropped when the JVM exits, so test runs never see
 * each other's rows on a shared CI machine. JDBC here is test set-up, never the request path.
 */
public final class TestDatabase {

  /** Host of the machine's PostgreSQL. */
  public static final String HOST = System.getenv().getOrDefault("MALIPO_DB_HOST", "127.0.0.1");
  /** Port of the machine's PostgreSQL. */
  public static final int PORT = Integer.parseInt(System.getenv().getOrDefault("MALIPO_DB_PORT", "5432"));
  /** Superuser the tests connect as (trust auth on this machine kind). */
  public static final String USER = System.getenv().getOrDefault("MALIPO_DB_USER", "postgres");

  private static String name;

  private TestDatabase() {}

  /** The database of this JVM, created on first use. */
  public static synchronized String name() {
    if (name == null) {
      String candidate = "malipo_test_" + ProcessHandle.current().pid() + "_"
          + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x10000, 0xfffff));
      execute("CREATE DATABASE " + candidate);
      name = candidate;
      Runtime.getRuntime().addShutdownHook(new Thread(() -> drop(candidate), "test-database-drop"));
    }
    return name;
  }

  /**
   * Another fresh database of this JVM, for a gateway instance whose rows (notably its outbox)
   * must not be seen by the shared test context; dropped when the JVM exits.
   *
   * @return its name
   */
  public static String createAnother(String purpose) {
    String candidate = name() + "_" + purpose;
    execute("CREATE DATABASE " + candidate);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> drop(candidate), "test-database-drop-" + purpose));
    return candidate;
  }

  /** JDBC URL of this JVM's database. */
  public static String jdbcUrl() {
    return "jdbc:postgresql://" + HOST + ":" + PORT + "/" + name();
  }

  /** R2DBC URL of this JVM's database. */
  public static String r2dbcUrl() {
    return "r2dbc:postgresql://" + HOST + ":" + PORT + "/" + name();
  }

  private static void drop(String database) {
    try {
      execute("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
    } catch (RuntimeException ignored) {
      // Best effort at JVM exit; a leftover database is harmless and uniquely named.
    }
  }

  private static void execute(String sql) {
    String url = "jdbc:postgresql://" + HOST + ":" + PORT + "/postgres";
    try (Connection connection = DriverManager.getConnection(url, USER, "");
        Statement statement = connection.createStatement()) {
      statement.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException("PostgreSQL at " + HOST + ":" + PORT + " refused: " + sql, e);
    }
  }
}

package org.malipo.gateway;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.malipo.gateway.support.InProcessKafka;

/**
 * The local single-node Kafka broker in a JVM of its own, for the benchmark
 * (loadtest/bench.sh): the gateway's CPU and heap figures then exclude the broker's.
 *
 * <p>Writes the bootstrap servers ({@code host:port}) to the file named by the first argument once
 * the broker is ready, then runs until the process is stopped.
 */
public final class StandaloneKafka {

  private StandaloneKafka() {}

  /**
   * Starts the broker and writes its address.
   *
   * @param args one argument: the file to write {@code host:port} to
   * @throws IOException if the file cannot be written
   * @throws InterruptedException when the main thread is interrupted while it waits
   */
  public static void main(String[] args) throws IOException, InterruptedException {
    if (args.length != 1) {
      throw new IllegalArgumentException("usage: StandaloneKafka <file to write bootstrap servers to>");
    }
    String bootstrap = InProcessKafka.bootstrapServers();
    Path target = Path.of(args[0]);
    Path partial = target.resolveSibling(target.getFileName() + ".tmp");
    Files.writeString(partial, bootstrap, StandardCharsets.UTF_8);
    Files.move(partial, target); // a reader never sees a half-written address
    Thread.currentThread().join(); // the broker's shutdown hook stops it with the JVM
  }
}

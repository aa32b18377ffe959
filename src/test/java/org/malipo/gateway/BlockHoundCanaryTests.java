package org.malipo.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import reactor.blockhound.BlockingOperationError;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

/** Proves BlockHound is installed in this test JVM: a sleep on a non-blocking thread is caught. */
class BlockHoundCanaryTests {

  @Test
  void reportsASleepOnAParallelThread() {
    Mono<Void> blocking = Mono.fromRunnable(() -> {
          try {
            Thread.sleep(1);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        })
        .subscribeOn(Schedulers.parallel())
        .then();

    StepVerifier.create(blocking)
        .expectErrorSatisfies(error -> assertThat(error).isInstanceOf(BlockingOperationError.class))
        .verify(Duration.ofSeconds(5));
  }
}

package org.malipo.gateway.payment;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.malipo.gateway.api.ApiProblem;
import org.malipo.gateway.api.ProblemCode;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.test.StepVerifier;

/**
 * A payment runs apart from the exchange that started it (docs/adr/0065-payment-lifecycle.md):
 * the subscriber going away does not cancel it, a slow one is answered as it stands, the number
 * running is bounded, and shutdown waits for the running ones.
 */
class DetachedPaymentsUnitTests {

  private static final Duration WAIT = Duration.ofSeconds(5);

  private final DetachedPayments detached = new DetachedPayments(2, new SimpleMeterRegistry());

  @Test
  void aSubscriberThatGoesAwayDoesNotCancelThePayment() {
    Sinks.One<String> rail = Sinks.one();
    AtomicBoolean cancelled = new AtomicBoolean();
    Mono<String> payment = rail.asMono().doOnCancel(() -> cancelled.set(true));

    Disposable client = detached.run(payment, WAIT, Mono.just("as it stands")).subscribe();
    client.dispose(); // the client hung up
    rail.tryEmitValue("succeeded");

    assertThat(cancelled).isFalse();
    assertThat(detached.running()).isZero();
  }

  @Test
  void aPaymentSlowerThanTheAnswerTimeoutIsAnsweredAsItStandsAndRunsOn() {
    Sinks.One<String> rail = Sinks.one();

    detached.run(rail.asMono(), Duration.ofMillis(50), Mono.just("processing")).as(StepVerifier::create)
        .expectNext("processing").verifyComplete();
    assertThat(detached.running()).as("still running after the answer").isEqualTo(1);

    rail.tryEmitValue("succeeded");
    assertThat(detached.running()).isZero();
  }

  @Test
  void beyondItsBoundANewPaymentIsRefusedOverloadedBeforeItStarts() {
    detached.run(Mono.never(), WAIT, Mono.empty()).subscribe();
    detached.run(Mono.never(), WAIT, Mono.empty()).subscribe();
    AtomicBoolean started = new AtomicBoolean();

    detached.run(Mono.fromRunnable(() -> started.set(true)), WAIT, Mono.empty()).as(StepVerifier::create)
        .expectErrorSatisfies(error -> assertThat(((ApiProblem) error).code()).isEqualTo(ProblemCode.OVERLOADED))
        .verify(WAIT);
    assertThat(started).isFalse();
  }

  @Test
  void shutdownWaitsForTheRunningPaymentsAndRefusesNewOnes() throws InterruptedException {
    Sinks.One<String> rail = Sinks.one();
    detached.start();
    detached.run(rail.asMono(), WAIT, Mono.empty()).subscribe();
    CountDownLatch stopped = new CountDownLatch(1);

    detached.stop(stopped::countDown);

    assertThat(stopped.await(100, TimeUnit.MILLISECONDS)).as("stopped while a payment runs").isFalse();
    detached.run(Mono.just("new"), WAIT, Mono.empty()).as(StepVerifier::create)
        .expectErrorSatisfies(error -> assertThat(((ApiProblem) error).code()).isEqualTo(ProblemCode.OVERLOADED))
        .verify(WAIT);
    rail.tryEmitValue("succeeded");
    assertThat(stopped.await(5, TimeUnit.SECONDS)).as("stopped once the payment finished").isTrue();
  }
}

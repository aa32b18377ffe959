package org.malipo.gateway.payment;

import java.nio.charset.StandardCharsets;
import java.util.Set;
import org.malipo.gateway.api.ApiProblem;
import org.malipo.gateway.auth.Principal;
import org.springframework.context.ApplicationContext;
import reactor.core.publisher.Mono;

/**
 * The payment module's package-private pipeline, as the orchestrator simulation
 * ({@code org.malipo.gateway.simulation}) drives it: the same call the controller makes for
 * {@code POST /v1/payments}, on a given gateway context. Test code.
 */
public final class SimulationPayments {

  private SimulationPayments() {}

  /**
   * What the client got.
   *
   * @param status HTTP status
   * @param body the payment (2xx) or null
   * @param code the problem's {@code code} for an error answer, else null
   * @param paymentId the {@code payment_id} a problem names, else null
   * @param replayed whether it was the stored answer of an earlier request
   */
  public record Answer(int status, String body, String code, String paymentId, boolean replayed) {}

  /**
   * {@code POST /v1/payments} as the controller runs it; problems become answers, other errors
   * stay errors (a 500).
   */
  public static Mono<Answer> create(ApplicationContext gateway, String merchantId, String idempotencyKey, String body) {
    Principal principal = new Principal("sim-client", merchantId, Set.of(Principal.PAYMENTS_WRITE, Principal.PAYMENTS_READ));
    return gateway.getBean(PaymentPipeline.class)
        .create(principal, idempotencyKey, body.getBytes(StandardCharsets.UTF_8))
        .map(answer -> new Answer(answer.status(), answer.body(), null, null, answer.replayed()))
        .onErrorResume(ApiProblem.class, problem -> Mono.just(new Answer(problem.code().status().value(), null,
            problem.code().wireName(), problem.extensions().get("payment_id"), false)));
  }

  /**
   * {@code POST /v1/payments/{id}/capture} ({@code capture} true) or {@code /cancel} as the
   * controller runs it; problems become answers (a 200's body is the payment).
   */
  public static Mono<Answer> operate(ApplicationContext gateway, String merchantId, String paymentId, String key,
      boolean capture, String body) {
    Principal principal = new Principal("sim-client", merchantId, Set.of(Principal.PAYMENTS_WRITE, Principal.PAYMENTS_READ));
    PaymentCaptures captures = gateway.getBean(PaymentCaptures.class);
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    return Mono.defer(() -> capture ? captures.capture(principal, paymentId, key, bytes)
            : captures.cancel(principal, paymentId, key, bytes))
        .map(answer -> new Answer(answer.status(), answer.body(), null, null, answer.replayed()))
        .onErrorResume(ApiProblem.class, problem -> Mono.just(new Answer(problem.code().status().value(), null,
            problem.code().wireName(), problem.extensions().get("payment_id"), false)))
        // The controller's ProblemExceptionHandler answers a database away as 503 service_unavailable.
        .onErrorResume(error -> error instanceof org.springframework.dao.TransientDataAccessException
                || error instanceof org.springframework.dao.DataAccessResourceFailureException,
            error -> Mono.just(new Answer(503, null, "service_unavailable", null, false)));
  }

  /**
   * The access control server's signed result for a payment, as its browser brings it back.
   *
   * @return the token (the compact JWS) to {@link #authenticate}, once or more
   */
  public static String authenticationResult(ApplicationContext gateway, String paymentId, boolean authenticated) {
    return gateway.getBean(ThreeDSecure.class).signResult(paymentId, authenticated);
  }

  /** Applies a signed 3-D Secure result: the payment's status after it, or the problem's code. */
  public static Mono<String> authenticate(ApplicationContext gateway, String token) {
    return Mono.defer(() -> gateway.getBean(ThreeDSecure.class).accept(token))
        .map(payment -> payment.status().wireName())
        .onErrorResume(ApiProblem.class, problem -> Mono.just(problem.code().wireName()));
  }

  /** Payments running detached on the context right now. */
  public static int running(ApplicationContext gateway) {
    return gateway.getBean(DetachedPayments.class).running();
  }
}

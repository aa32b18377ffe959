package org.malipo.gateway.callback;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.malipo.gateway.api.ApiProblem;
import org.malipo.gateway.callback.ExceptionResolutions.Action;
import org.malipo.gateway.ledger.Ledger.Posting;

/** Each resolution's postings: balanced, suspense emptied by exactly what the case held. */
class ExceptionResolutionsUnitTests {

  private static ExceptionCases.Case kase(String kind, String merchant, long suspense, long clearing) {
    return new ExceptionCases.Case("exc_1", kind, "pay_1", null, merchant, "mpesa", 1_000, "KES", "d", null,
        Instant.EPOCH, null, new ExceptionCases.Resolution(suspense, clearing, "rec_1", null, null, null, null, null));
  }

  @Test
  void everyActionBalancesAndEmptiesWhatTheCaseHeld() {
    for (ExceptionCases.Case c : List.of(kase("amount_mismatch", "mer_1", 1_000, 0), kase("amount_mismatch", "mer_1", -700, 0),
        kase("missing_in_rail", "mer_1", 0, 355_000), kase("missing_in_gateway", "mer_1", 5_000, 0))) {
      for (Action action : Action.values()) {
        long v = c.resolution().suspenseMinor() - c.resolution().clearingMinor();
        if (action == Action.REFUND_PAYER && v <= 0) {
          assertThatThrownBy(() -> ExceptionResolutions.postings(c, action)).isInstanceOf(ApiProblem.class);
          continue;
        }
        List<Posting> postings = ExceptionResolutions.postings(c, action);
        long debits = postings.stream().filter(Posting::debit).mapToLong(Posting::amountMinor).sum();
        long credits = postings.stream().filter(p -> !p.debit()).mapToLong(Posting::amountMinor).sum();
        assertThat(debits).as("%s %s", c.kind(), action).isEqualTo(credits);
        long suspenseMoved = postings.stream().filter(p -> p.account().equals("gateway:suspense:KES"))
            .mapToLong(p -> p.debit() ? p.amountMinor() : -p.amountMinor()).sum();
        assertThat(suspenseMoved).as("suspense debited by what it held").isEqualTo(c.resolution().suspenseMinor());
      }
    }
  }

  @Test
  void acceptRailPaysTheMerchantAndWriteOffBooksTheLoss() {
    assertThat(ExceptionResolutions.postings(kase("amount_mismatch", "mer_1", 1_000, 0), Action.ACCEPT_RAIL))
        .containsExactlyInAnyOrder(new Posting("gateway:suspense:KES", true, 1_000),
            new Posting("merchant:mer_1:available:KES", false, 1_000));
    assertThat(ExceptionResolutions.postings(kase("missing_in_rail", "mer_1", 0, 355_000), Action.WRITE_OFF))
        .containsExactlyInAnyOrder(new Posting("rail:mpesa:clearing:KES", false, 355_000),
            new Posting("gateway:write_offs:KES", true, 355_000));
    // Our figure stands on a missing line: the rail still owes it, nothing moves.
    assertThat(ExceptionResolutions.postings(kase("missing_in_rail", "mer_1", 0, 355_000), Action.ACCEPT_GATEWAY)).isEmpty();
  }

  @Test
  void acceptRailNeedsAMerchant() {
    assertThatThrownBy(() -> ExceptionResolutions.postings(kase("missing_in_gateway", null, 5_000, 0), Action.ACCEPT_RAIL))
        .isInstanceOfSatisfying(ApiProblem.class, p -> assertThat(p.code().wireName()).isEqualTo("resolution_not_allowed"));
  }
}

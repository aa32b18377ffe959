package org.malipo.gateway.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.malipo.gateway.support.IntegrationTest;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.r2dbc.core.DatabaseClient;
import reactor.test.StepVerifier;

/**
 * The parts of a {@link SingleStatement}: the same SQL written into two parts keeps their CTEs
 * and parameters apart, casts and the statement's own names untouched.
 */
class SingleStatementIntegrationTests extends IntegrationTest {

  private static final Duration WAIT = Duration.ofSeconds(10);

  @Autowired DatabaseClient db;

  /** What an owner would add: the same text for any part. */
  private static void ownerWrites(SingleStatement statement, String value) {
    statement.with("picked AS (SELECT :picked_value::text AS value, CAST(:picked_rank AS int) AS rank)")
        .with("picked_twice AS (SELECT value || value AS value FROM picked WHERE rank = (SELECT rank FROM shared))")
        .bind("picked_value", value)
        .bind("picked_rank", 7);
  }

  @Test
  void partsKeepTheirNamesApartAndShareTheStatementsOwn() {
    SingleStatement statement = new SingleStatement();
    statement.with("shared AS (SELECT CAST(:shared_rank AS int) AS rank)").bind("shared_rank", 7);
    ownerWrites(statement.part(0), "a");
    ownerWrites(statement.part(1), "b");

    String joined = statement.query(db, "SELECT (SELECT value FROM " + statement.part(0).name("picked_twice")
            + ") || (SELECT value FROM picked_twice_1) AS joined")
        .map(row -> row.get("joined", String.class)).one().block(WAIT);

    assertThat(joined).isEqualTo("aabb");
  }

  @Test
  void aPartsRequirementReadsItsOwnCte() {
    SingleStatement statement = new SingleStatement();
    statement.with("shared AS (SELECT 7 AS rank)");
    for (int i = 0; i < 2; i++) {
      SingleStatement part = statement.part(i);
      ownerWrites(part, i == 0 ? "a" : "");
      part.require("(SELECT value FROM picked_twice) <> ''", "part " + i + " is empty");
    }

    statement.execute(db).as(StepVerifier::create)
        .expectErrorSatisfies(error -> assertThat(error).isInstanceOf(IllegalStateException.class)
            .hasMessageContaining("part 1 is empty"))
        .verify(WAIT);
  }

  @Test
  void theSameTextIsRenamedByWhatItsPartDeclaredNotByWhatAnEarlierStatementDid() {
    String reader = "reader AS (SELECT value FROM picked)";
    // First: the part declares picked, so its reader reads picked_0 (and the rename is remembered).
    SingleStatement first = new SingleStatement();
    first.part(0).with("picked AS (SELECT 'own' AS value)").with(reader);
    assertThat(first.query(db, "SELECT value FROM reader_0").map(row -> row.get("value", String.class)).one().block(WAIT))
        .isEqualTo("own");
    // Then the same text in a part that declared nothing reads the statement's own picked.
    SingleStatement second = new SingleStatement();
    second.with("picked AS (SELECT 'shared' AS value)");
    second.part(0).with(reader);
    assertThat(second.query(db, "SELECT value FROM reader_0").map(row -> row.get("value", String.class)).one().block(WAIT))
        .isEqualTo("shared");
  }

  @Test
  void aPartIsNeitherSplitNorExecutedOnItsOwn() {
    SingleStatement part = new SingleStatement().part(0);
    assertThatThrownBy(() -> part.part(1)).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> part.execute(db)).isInstanceOf(IllegalStateException.class);
    assertThat(part.name("ledger_legs")).isEqualTo("ledger_legs_0");
  }
}

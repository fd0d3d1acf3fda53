package dev.plumb.evaluation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.plumb.testing.SharedSpark;
import java.util.List;
import java.util.TreeSet;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Every policy against a brute-force scan of all thresholds on a fixture with ties. */
@ExtendWith(SharedSpark.class)
class OperatingPointTest {

  static final EvalSpec.Costs COSTS = new EvalSpec.Costs(1.0, 5.0);

  /** tp, fp, fn at threshold t (positive when score >= t). */
  static long[] counts(List<Fixtures.P> rows, double t) {
    long tp = 0;
    long fp = 0;
    long fn = 0;
    for (Fixtures.P p : rows) {
      boolean predicted = p.score() >= t;
      if (predicted && p.label() == 1) {
        tp++;
      } else if (predicted) {
        fp++;
      } else if (p.label() == 1) {
        fn++;
      }
    }
    return new long[] {tp, fp, fn};
  }

  @Test
  void eachPolicyPicksWhatABruteForceScanPicks(SparkSession spark) {
    List<Fixtures.P> rows = Fixtures.random(3000, 5);
    Dataset<Row> df = Fixtures.frame(spark, rows);
    TreeSet<Double> thresholds = new TreeSet<>();
    rows.forEach(p -> thresholds.add(p.score()));
    double bestF1 = -1;
    double bestF1At = 0;
    double bestCost = Double.MAX_VALUE;
    double bestCostAt = 0;
    double bestRecallAtP = -1;
    double bestRecallAtPAt = 0;
    for (double t : thresholds.descendingSet()) {
      long[] c = counts(rows, t);
      double f1 = 2.0 * c[0] / (2.0 * c[0] + c[1] + c[2]);
      double cost = c[1] * 1.0 + c[2] * 5.0;
      double precision = c[0] + c[1] == 0 ? 0 : (double) c[0] / (c[0] + c[1]);
      double recall = (double) c[0] / (c[0] + c[2]);
      if (f1 > bestF1) {
        bestF1 = f1;
        bestF1At = t;
      }
      if (cost < bestCost) {
        bestCost = cost;
        bestCostAt = t;
      }
      if (precision >= 0.6 && recall > bestRecallAtP) {
        bestRecallAtP = recall;
        bestRecallAtPAt = t;
      }
    }
    OperatingPoint.Choice f1 =
        OperatingPoint.choose(df, "score", "label", OperatingPoint.Policy.parse("max_f1"), COSTS);
    assertThat(f1.threshold()).isEqualTo(bestF1At);
    assertThat(f1.f1()).isCloseTo(bestF1, within(1e-12));
    OperatingPoint.Choice cost =
        OperatingPoint.choose(df, "score", "label", OperatingPoint.Policy.parse("cost"), COSTS);
    assertThat(cost.threshold()).isEqualTo(bestCostAt);
    assertThat(cost.cost()).isEqualTo(bestCost);
    OperatingPoint.Choice p =
        OperatingPoint.choose(
            df, "score", "label", OperatingPoint.Policy.parse("precision_at_least:0.6"), COSTS);
    assertThat(p.reached()).isTrue();
    assertThat(p.threshold()).isEqualTo(bestRecallAtPAt);
    assertThat(p.precision()).isGreaterThanOrEqualTo(0.6);
    OperatingPoint.Choice r =
        OperatingPoint.choose(
            df, "score", "label", OperatingPoint.Policy.parse("recall_at_least:0.5"), COSTS);
    assertThat(r.recall()).isGreaterThanOrEqualTo(0.5);
    long[] at = counts(rows, r.threshold());
    assertThat(r.precision()).isCloseTo((double) at[0] / (at[0] + at[1]), within(1e-12));
    OperatingPoint.Choice fixed =
        OperatingPoint.choose(df, "score", "label", OperatingPoint.Policy.parse("0.5"), COSTS);
    long[] half = counts(rows, 0.5);
    assertThat(fixed.threshold()).isEqualTo(0.5);
    assertThat(fixed.recall()).isCloseTo((double) half[0] / (half[0] + half[2]), within(1e-12));
    // A floor nothing reaches: the most precise threshold, marked as not reached.
    Dataset<Row> topIsNegative =
        Fixtures.frame(
            spark,
            List.of(
                new Fixtures.P(1, 0, 0.9, "a", 0),
                new Fixtures.P(2, 1, 0.8, "a", 0),
                new Fixtures.P(3, 0, 0.1, "a", 0)));
    OperatingPoint.Choice unreachable =
        OperatingPoint.choose(
            topIsNegative,
            "score",
            "label",
            OperatingPoint.Policy.parse("precision_at_least:0.9"),
            COSTS);
    assertThat(unreachable.reached()).isFalse();
    assertThat(unreachable.threshold()).isEqualTo(0.8);
    assertThat(unreachable.precision()).isEqualTo(0.5);
  }

  @Test
  void aBadThresholdNamesTheChoices() {
    assertThatThrownBy(() -> OperatingPoint.Policy.parse("best"))
        .hasMessageContaining("max_f1")
        .hasMessageContaining("precision_at_least:<p>");
    assertThatThrownBy(() -> OperatingPoint.Policy.parse("1.5")).hasMessageContaining("[0, 1]");
    assertThatThrownBy(() -> OperatingPoint.Policy.parse("recall_at_least:2"))
        .hasMessageContaining("not a threshold");
    assertThat(OperatingPoint.Policy.parse("Precision_at_least:0.8").toString())
        .isEqualTo("precision_at_least:0.8");
  }
}

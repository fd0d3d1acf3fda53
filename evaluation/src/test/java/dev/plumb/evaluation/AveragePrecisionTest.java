package dev.plumb.evaluation;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.plumb.evaluation.Fixtures.P;
import dev.plumb.testing.SharedSpark;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Plumb's areas against scikit-learn's on a fixed fixture with ties (see the README.md next to
 * {@code average_precision_fixture.csv} for how the expected values were produced).
 */
@ExtendWith(SharedSpark.class)
class AveragePrecisionTest {

  /** The fixture's rows and the values scikit-learn computed for them. */
  record Fixture(List<P> rows, Map<String, Double> sklearn) {}

  static Fixture fixture() throws IOException {
    String text;
    try (InputStream in =
        AveragePrecisionTest.class.getResourceAsStream("average_precision_fixture.csv")) {
      text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    List<P> rows = new ArrayList<>();
    Map<String, Double> expected = new HashMap<>();
    for (String line : text.split("\n")) {
      if (line.startsWith("#")) {
        String[] kv = line.substring(1).split("=");
        if (kv.length == 2) {
          expected.put(kv[0].trim(), Double.parseDouble(kv[1].trim()));
        }
      } else if (!line.isBlank() && !line.startsWith("label")) {
        String[] f = line.split(",");
        rows.add(new P(rows.size(), Double.parseDouble(f[0]), Double.parseDouble(f[1]), "a", 0));
      }
    }
    return new Fixture(rows, expected);
  }

  @Test
  void averagePrecisionAndRocAucEqualScikitLearnsOnTiedScores(SparkSession spark)
      throws IOException {
    Fixture f = fixture();
    assertThat(f.rows()).hasSize(400);
    double ap = f.sklearn().get("average_precision_score");
    double auc = f.sklearn().get("roc_auc_score");
    // The test's own implementation of the definition agrees, so the fixture is read right.
    assertThat(Fixtures.averagePrecision(f.rows())).isCloseTo(ap, within(1e-12));
    assertThat(Fixtures.auc(f.rows())).isCloseTo(auc, within(1e-12));

    Dataset<Row> frame = Fixtures.frame(spark, f.rows()).repartition(3);
    // The evaluator: its 1e-5 bins cannot order the cluster 1e-7 apart, so it computes exactly.
    EvalReport r =
        Evaluator.evaluate(
            Fixtures.input(frame), Fixtures.spec(EvalSpec.Mode.FULL, List.of(), List.of()));
    assertThat(r.metrics().get("average_precision")).isCloseTo(ap, within(1e-9));
    assertThat(r.metrics().get("roc_auc")).isCloseTo(auc, within(1e-9));
    assertThat(r.headline().averagePrecision()).isCloseTo(ap, within(1e-9));
    assertThat(r.metrics()).doesNotContainKey("pr_auc");
    // BinaryMetrics, and the distributed sums.
    BinaryMetrics.Result exact = BinaryMetrics.compute(frame, "label", "score", 0.5);
    assertThat(exact.averagePrecision()).isCloseTo(ap, within(1e-9));
    assertThat(exact.rocAuc()).isCloseTo(auc, within(1e-9));
    ExactAreas.Areas distributed =
        ExactAreas.byGroup(
                frame.select(
                    lit(ExactAreas.ALL).as("g"), col("score").as("s"), col("label").as("y")),
                0)
            .get(ExactAreas.ALL);
    assertThat(distributed.averagePrecision()).isCloseTo(ap, within(1e-9));
    assertThat(distributed.rocAuc()).isCloseTo(auc, within(1e-9));
    // Fast mode, on all rows (fraction 1), too.
    EvalSpec fast = Fixtures.spec(EvalSpec.Mode.FAST, List.of(), List.of());
    EvalSpec all =
        new EvalSpec(
            fast.mode(),
            fast.threshold(),
            new EvalSpec.Sample(1.0, 0, "", 3),
            fast.sweepPoints(),
            fast.costs(),
            fast.bootstrap(),
            fast.calibrationBins(),
            fast.slices(),
            fast.heuristic(),
            fast.drift(),
            fast.behaviour(),
            fast.gates());
    EvalReport fastReport = Evaluator.evaluate(Fixtures.input(frame), all);
    assertThat(fastReport.metrics().get("sample.rows")).isEqualTo(400.0);
    assertThat(fastReport.metrics().get("average_precision")).isCloseTo(ap, within(1e-9));
  }

  @Test
  void aGateOnTheOldPrAucNameSaysWhatReplacedIt() {
    GateResult r =
        Gates.check(Gate.atLeast("pr_auc", 0.2), Map.of("average_precision", 0.4, "roc_auc", 0.8));
    assertThat(r.passed()).isFalse();
    assertThat(r.detail())
        .isEqualTo(
            "metric pr_auc was not measured: pr_auc (a trapezoid area) is no longer reported;"
                + " use average_precision (scikit-learn's step-wise definition, README.md"
                + " \"Metric definitions\")");
  }

  @Test
  void averagePrecisionIsStepWiseNotTheTrapezoidAreaUnderThePrCurve() {
    // Scores 0.9 (+), 0.8 (-), 0.7 (+), 0.6 (-), one per bin, ascending: (R, P) at the thresholds
    // is (1/2, 1), (1/2, 1/2), (1, 2/3), (1, 1/2), so AP = 1/2 * 1 + 1/2 * 2/3 = 5/6, while
    // trapezoids from (0, 1) through those points give 1/2 + 0 + 1/2 * (1/2 + 2/3) / 2 + 0.
    double[] pos = {0, 1, 0, 1};
    double[] neg = {1, 0, 1, 0};
    assertThat(Curves.averagePrecision(pos, neg)).isCloseTo(5.0 / 6, within(1e-15));
    assertThat(0.5 + 0.5 * (0.5 + 2.0 / 3) / 2).isNotCloseTo(5.0 / 6, within(1e-2));
  }
}

package dev.plumb.evaluation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.plumb.evaluation.Fixtures.P;
import dev.plumb.testing.SharedSpark;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(SharedSpark.class)
class EvaluatorFullModeTest {

  @Test
  void everyMetricMatchesABruteForceOverTheSameRows(SparkSession spark) {
    List<P> rows = Fixtures.random(3000, 21);
    Dataset<Row> frame = Fixtures.frame(spark, rows).repartition(3);
    EvalReport r =
        Evaluator.evaluate(
            Fixtures.input(frame), Fixtures.spec(EvalSpec.Mode.FULL, List.of(), List.of()));
    Map<String, Double> m = r.metrics();

    double tp = 0;
    double fp = 0;
    double tn = 0;
    double fn = 0;
    double loss = 0;
    double brier = 0;
    double[] calN = new double[10];
    double[] calP = new double[10];
    double[] calY = new double[10];
    for (P p : rows) {
      boolean predicted = p.score() >= 0.5;
      boolean positive = p.label() == 1;
      tp += predicted && positive ? 1 : 0;
      fp += predicted && !positive ? 1 : 0;
      tn += !predicted && !positive ? 1 : 0;
      fn += !predicted && positive ? 1 : 0;
      double q = Math.min(Math.max(p.score(), 1e-15), 1 - 1e-15);
      loss += positive ? -Math.log(q) : -Math.log(1 - q);
      brier += (p.score() - p.label()) * (p.score() - p.label());
      int b = Math.min(9, (int) Math.floor(p.score() * 10));
      calN[b]++;
      calP[b] += p.score();
      calY[b] += p.label();
    }
    double n = rows.size();
    double ece = 0;
    for (int b = 0; b < 10; b++) {
      ece += Math.abs(calY[b] - calP[b]) / n;
    }
    assertThat(m.get("count")).isEqualTo(n);
    assertThat(m.get("positives")).isEqualTo(tp + fn);
    assertThat(m.get("roc_auc")).isCloseTo(Fixtures.auc(rows), within(1e-9));
    assertThat(m.get("log_loss")).isCloseTo(loss / n, within(1e-9));
    assertThat(m.get("brier")).isCloseTo(brier / n, within(1e-9));
    assertThat(m.get("ece")).isCloseTo(ece, within(1e-9));
    assertThat(r.confusion()).isEqualTo(new Confusion(tp, fp, tn, fn));
    assertThat(m.get("accuracy")).isCloseTo((tp + tn) / n, within(1e-12));
    assertThat(m.get("precision")).isCloseTo(tp / (tp + fp), within(1e-12));
    assertThat(m.get("recall")).isCloseTo(tp / (tp + fn), within(1e-12));
    assertThat(m.get("specificity")).isCloseTo(tn / (tn + fp), within(1e-12));
    double mcc = (tp * tn - fp * fn) / Math.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn));
    assertThat(m.get("mcc")).isCloseTo(mcc, within(1e-12));
    // Scores lie on a 1e-3 grid, coarser than the 1e-5 bins: each bin holds one score, so the
    // binned average precision is exact and nothing is recomputed.
    assertThat(m.get("average_precision"))
        .isCloseTo(Fixtures.averagePrecision(rows), within(1e-12))
        .isCloseTo(
            BinaryMetrics.compute(frame, "label", "score", 0.5).averagePrecision(), within(1e-12));
    assertThat(r.sample().get("areas"))
        .isEqualTo(
            Map.of(
                "tolerance",
                ExactAreas.TOLERANCE,
                "roc_auc_bins_error_bound",
                0.0,
                "average_precision_bins_error_bound",
                0.0,
                "headline_computed_exactly",
                false,
                "slices_from_bins",
                0,
                "slices_from_refined_bins",
                0,
                "slices_computed_exactly",
                0));
    // Calibration bins: count, mean score and positive rate per bin.
    for (int b = 0; b < 10; b++) {
      EvalReport.CalibrationBin bin = r.calibration().get(b);
      assertThat(bin.count()).isEqualTo((long) calN[b]);
      if (calN[b] > 0) {
        assertThat(bin.meanScore()).isCloseTo(calP[b] / calN[b], within(1e-12));
        assertThat(bin.positiveRate()).isCloseTo(calY[b] / calN[b], within(1e-12));
      }
    }
    // The sweep: 101 thresholds; precision and recall at 0.3 by brute force.
    assertThat(r.sweep()).hasSize(101);
    Curves.SweepRow at30 = r.sweep().get(30);
    double tp30 = rows.stream().filter(p -> p.label() == 1 && p.score() >= 0.3).count();
    double pp30 = rows.stream().filter(p -> p.score() >= 0.3).count();
    assertThat(at30.threshold()).isEqualTo(0.3);
    assertThat(at30.precision()).isCloseTo(tp30 / pp30, within(1e-12));
    assertThat(at30.recall()).isCloseTo(tp30 / (tp + fn), within(1e-12));
    // Best-F1 threshold: the best F1 over every distinct score, by brute force.
    double bestF1 = 0;
    for (P t : rows) {
      double a = 0;
      double b = 0;
      for (P p : rows) {
        if (p.score() >= t.score()) {
          a += p.label();
          b += 1 - p.label();
        }
      }
      bestF1 = Math.max(bestF1, 2 * a / (2 * a + b + (tp + fn - a)));
    }
    assertThat(m.get("threshold.best_f1.f1")).isCloseTo(bestF1, within(1e-12));
    // Baselines are present, and lift is model minus baseline.
    assertThat(m.get("lift.zero_rule.roc_auc")).isCloseTo(m.get("roc_auc") - 0.5, within(1e-12));
  }

  @Test
  void crowdedScoresThatTheBinsCannotBoundAreComputedExactly(SparkSession spark) {
    java.util.Random random = new java.util.Random(5);
    List<P> rows = new java.util.ArrayList<>();
    for (int i = 0; i < 3000; i++) {
      double y = random.nextDouble() < 0.1 ? 1 : 0;
      // Scores crowd near 0, as for a rare positive class: many pairs share a 1e-5 bin.
      double s = Math.pow(random.nextDouble(), 4) * (0.5 + 0.5 * y);
      rows.add(new P(i, y, s, "a", 0));
    }
    Dataset<Row> frame = Fixtures.frame(spark, rows);
    EvalReport r =
        Evaluator.evaluate(
            Fixtures.input(frame), Fixtures.spec(EvalSpec.Mode.FULL, List.of(), List.of()));
    BinaryMetrics.Result exact = BinaryMetrics.compute(frame, "label", "score", 0.5);
    // Rows sharing a 1e-5 bin count as ties, so the binned ROC-AUC could be off by half the
    // share of (positive, negative) pairs that share a bin: 5.6% of these scores sit in bin 0.
    java.util.Map<Integer, double[]> bins = new java.util.HashMap<>();
    double npos = 0;
    for (P p : rows) {
      double[] b = bins.computeIfAbsent((int) Math.floor(p.score() * 1e5), k -> new double[2]);
      b[(int) p.label()]++;
      npos += p.label();
    }
    double tied = 0;
    for (double[] b : bins.values()) {
      tied += b[0] * b[1];
    }
    double bound = 0.5 * tied / (npos * (rows.size() - npos));
    assertThat(bound).isGreaterThan(1e-4);
    // That is beyond the tolerance, so both areas are computed from the distinct scores.
    @SuppressWarnings("unchecked")
    Map<String, Object> areas = (Map<String, Object>) r.sample().get("areas");
    assertThat(areas).containsEntry("headline_computed_exactly", true);
    assertThat(r.metrics().get("roc_auc")).isCloseTo(Fixtures.auc(rows), within(1e-12));
    assertThat(Fixtures.auc(rows)).isCloseTo(exact.rocAuc(), within(1e-12));
    double ap = Fixtures.averagePrecision(rows);
    assertThat(r.metrics().get("average_precision")).isCloseTo(ap, within(1e-12));
    assertThat(exact.averagePrecision()).isCloseTo(ap, within(1e-12));
    // The binned values are not those: ties inside a bin are not ties of the scores.
    double[] pos = new double[100_000];
    double[] neg = new double[100_000];
    for (P p : rows) {
      (p.label() == 1 ? pos : neg)[(int) Math.floor(p.score() * 1e5)]++;
    }
    assertThat(Math.abs(Curves.rocAuc(pos, neg) - Fixtures.auc(rows))).isGreaterThan(1e-6);
    assertThat(Math.abs(Curves.averagePrecision(pos, neg) - ap)).isGreaterThan(1e-6);
  }

  @Test
  void bootstrapIntervalsAreDeterministicAndBracketTheEstimate(SparkSession spark) {
    Dataset<Row> frame = Fixtures.frame(spark, Fixtures.random(4000, 4));
    EvalSpec spec = Fixtures.spec(EvalSpec.Mode.FULL, List.of(), List.of());
    EvalReport a = Evaluator.evaluate(Fixtures.input(frame), spec);
    EvalReport b = Evaluator.evaluate(Fixtures.input(frame.repartition(5)), spec);
    for (String metric :
        List.of("roc_auc", "average_precision", "log_loss", "accuracy", "f1", "ece")) {
      double[] ci = a.intervals().get(metric);
      // Same weights whatever the partitioning; sums may differ in the last bits.
      assertThat(ci[0]).as(metric).isCloseTo(b.intervals().get(metric)[0], within(1e-12));
      assertThat(ci[1]).as(metric).isCloseTo(b.intervals().get(metric)[1], within(1e-12));
      assertThat(ci[0]).as(metric).isLessThan(ci[1]);
      double v = a.metrics().get(metric);
      if (!metric.equals("ece")) {
        assertThat(v).as(metric).isBetween(ci[0], ci[1]);
      }
    }
    // The ROC-AUC interval has about the width the normal approximation predicts
    // (Hanley-McNeil): 2 * 1.645 * SE, within a factor of 1.5.
    double auc = a.metrics().get("roc_auc");
    double np = a.metrics().get("positives");
    double nn = a.metrics().get("count") - np;
    double q1 = auc / (2 - auc);
    double q2 = 2 * auc * auc / (1 + auc);
    double se =
        Math.sqrt(
            (auc * (1 - auc) + (np - 1) * (q1 - auc * auc) + (nn - 1) * (q2 - auc * auc))
                / (np * nn));
    double width = a.intervals().get("roc_auc")[1] - a.intervals().get("roc_auc")[0];
    assertThat(width).isBetween(2 * 1.645 * se / 1.5, 2 * 1.645 * se * 1.5);
  }

  @Test
  void zeroRuleBaselineOnANinetyTenSplitMatchesTheWorkedValues(SparkSession spark) {
    List<P> rows = new java.util.ArrayList<>();
    for (int i = 0; i < 100; i++) {
      // 10 positives; a model that ranks every positive above every negative.
      double y = i < 10 ? 1 : 0;
      rows.add(new P(i, y, y == 1 ? 0.9 : 0.1, "a", 0));
    }
    EvalReport r =
        Evaluator.evaluate(
            Fixtures.input(Fixtures.frame(spark, rows)),
            Fixtures.spec(EvalSpec.Mode.FULL, List.of(), List.of()));
    Map<String, Double> m = r.metrics();
    assertThat(m.get("baseline.zero_rule.accuracy")).isEqualTo(0.9);
    assertThat(m.get("baseline.zero_rule.recall")).isEqualTo(0.0);
    assertThat(m.get("baseline.zero_rule.precision")).isEqualTo(0.0);
    assertThat(m.get("baseline.zero_rule.roc_auc")).isEqualTo(0.5);
    assertThat(m.get("baseline.zero_rule.average_precision")).isEqualTo(0.1);
    assertThat(m.get("baseline.zero_rule.log_loss"))
        .isCloseTo(-(0.1 * Math.log(0.1) + 0.9 * Math.log(0.9)), within(1e-12));
    assertThat(m.get("baseline.zero_rule.brier")).isCloseTo(0.09, within(1e-12));
    // Prior-random: accuracy 0.1^2 + 0.9^2 = 0.82, precision = recall = 0.1.
    assertThat(m.get("baseline.prior_random.accuracy")).isCloseTo(0.82, within(1e-12));
    assertThat(m.get("baseline.prior_random.recall")).isCloseTo(0.1, within(1e-12));
    // The perfect model: accuracy 1, lift 0.1 in accuracy and 0.5 in ROC-AUC over the zero rule.
    assertThat(m.get("accuracy")).isEqualTo(1.0);
    assertThat(m.get("lift.zero_rule.accuracy")).isCloseTo(0.1, within(1e-12));
    assertThat(m.get("lift.zero_rule.roc_auc")).isCloseTo(0.5, within(1e-12));
    // Log loss: lower is better, so lift = baseline - model = entropy - (-ln 0.9).
    assertThat(m.get("lift.zero_rule.log_loss"))
        .isCloseTo(-(0.1 * Math.log(0.1) + 0.9 * Math.log(0.9)) + Math.log(0.9), within(1e-12));
  }

  @Test
  void aHeuristicBaselineIsScoredOnItsFeature(SparkSession spark) {
    List<P> rows =
        List.of(
            new P(1, 1, 0.9, "a", 5),
            new P(2, 1, 0.8, "a", 1),
            new P(3, 0, 0.7, "a", 4),
            new P(4, 0, 0.2, "a", 2),
            new P(5, 0, 0.1, "a", 3));
    EvalSpec d = Fixtures.spec(EvalSpec.Mode.FULL, List.of(), List.of());
    EvalSpec spec =
        new EvalSpec(
            d.mode(),
            d.threshold(),
            d.sample(),
            d.sweepPoints(),
            d.costs(),
            d.bootstrap(),
            d.calibrationBins(),
            d.slices(),
            new EvalSpec.Heuristic("x", true, 4.0),
            d.drift(),
            d.behaviour(),
            List.of(new Gate("beats heuristic", "roc_auc", 0.1, null, "heuristic")));
    EvalReport r = Evaluator.evaluate(Fixtures.input(Fixtures.frame(spark, rows)), spec);
    // x ranks positive 5 above all 3 negatives, positive 1 below all: 3 of 6 pairs.
    assertThat(r.metrics().get("baseline.heuristic.roc_auc")).isEqualTo(0.5);
    // x >= 4 predicts rows 1 and 3: TP 1, FP 1, FN 1, TN 2.
    assertThat(r.metrics().get("baseline.heuristic.precision")).isEqualTo(0.5);
    assertThat(r.metrics().get("baseline.heuristic.recall")).isEqualTo(0.5);
    assertThat(r.metrics().get("baseline.heuristic.accuracy")).isEqualTo(0.6);
    assertThat(r.metrics().get("roc_auc")).isEqualTo(1.0);
    assertThat(r.gates().get(0).passed()).isTrue();
    assertThat(r.gates().get(0).detail()).contains("roc_auc = 1.00000");
  }

  @Test
  void oneClassAndNullScoresFailWithAClearMessage(SparkSession spark) {
    EvalSpec spec = Fixtures.spec(EvalSpec.Mode.FULL, List.of(), List.of());
    Dataset<Row> oneClass =
        Fixtures.frame(spark, List.of(new P(1, 0, 0.1, "a", 0), new P(2, 0, 0.4, "a", 0)));
    assertThatThrownBy(() -> Evaluator.evaluate(Fixtures.input(oneClass), spec))
        .hasMessageContaining("only one class (0 positives of 2 rows)");
    Dataset<Row> nulls =
        Fixtures.frame(spark, List.of(new P(1, 0, 0.1, "a", 0), new P(2, 1, 0.4, "a", 0)))
            .withColumn(
                "score",
                org.apache
                    .spark
                    .sql
                    .functions
                    .when(org.apache.spark.sql.functions.col("id").equalTo(2), null)
                    .otherwise(org.apache.spark.sql.functions.col("score")));
    assertThatThrownBy(() -> Evaluator.evaluate(Fixtures.input(nulls), spec))
        .hasMessageContaining("1 rows have a null label or score");
    EvalSpec sliced = Fixtures.spec(EvalSpec.Mode.FULL, List.of("country"), List.of());
    assertThatThrownBy(() -> Evaluator.evaluate(Fixtures.input(oneClass), sliced))
        .hasMessageContaining("Cannot evaluate: the spec's column 'country' is missing");
  }
}

package dev.plumb.evaluation;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.exp;
import static org.apache.spark.sql.functions.lit;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.plumb.evaluation.Fixtures.P;
import dev.plumb.testing.SharedSpark;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(SharedSpark.class)
class DriftAndBehaviourTest {

  static Dataset<Row> xs(SparkSession spark, List<Double> values) {
    List<P> rows = new ArrayList<>();
    for (double v : values) {
      rows.add(new P(rows.size(), rows.size() % 2, 0.5, "a", v));
    }
    return Fixtures.frame(spark, rows);
  }

  static List<Double> range(int from, int to) {
    List<Double> out = new ArrayList<>();
    for (int i = from; i <= to; i++) {
      out.add((double) i);
    }
    return out;
  }

  @Test
  void psiMatchesTheHandComputedValue(SparkSession spark) {
    // Reference 1..100 in 4 quantile bins (cuts 25, 50, 75); target 1..50: half in each of the
    // two lower bins, none in the upper two.
    Dataset<Row> reference = xs(spark, range(1, 100));
    Drift.Bins bins = Drift.fit(reference, List.of("x"), 4);
    assertThat(bins.cuts().get("x")).containsExactly(25.0, 50.0, 75.0);
    Map<String, double[]> ref = Drift.shares(reference, bins);
    assertThat(ref.get("x")).containsExactly(0, 0.25, 0.25, 0.25, 0.25);
    Map<String, double[]> target = Drift.shares(xs(spark, range(1, 50)), bins);
    double expected =
        2 * (0.5 - 0.25) * Math.log(0.5 / 0.25) + 2 * (1e-4 - 0.25) * Math.log(1e-4 / 0.25);
    assertThat(Drift.psi(ref, target).get("x")).isCloseTo(expected, within(1e-12));
    assertThat(Drift.psi(ref, ref).get("x")).isZero();
  }

  /**
   * 128 partitions of 2,000 rows: x 64 copies each of 4,000 continuous values, y with nulls and
   * NaN; partition p sleeps.
   */
  static Dataset<Row> slowPartitions(SparkSession spark, boolean slowest, boolean lastFirst) {
    org.apache.spark.sql.types.StructType schema =
        new org.apache.spark.sql.types.StructType().add("x", "double").add("y", "double");
    org.apache.spark.api.java.JavaRDD<Row> rows =
        spark
            .range(0, 256_000, 1, 128)
            .toDF("id")
            .selectExpr(
                "abs(xxhash64(id % 4000)) / 1e15 as x",
                "if(id % 7 = 0, null, if(id % 11 = 0, double('NaN'), randn(6))) as y")
            .javaRDD()
            .mapPartitionsWithIndex(
                (p, it) -> {
                  Thread.sleep(slowest ? 1L * (lastFirst ? 127 - p : p) : 0L);
                  return it;
                },
                true);
    return spark.createDataFrame(rows, schema);
  }

  @Test
  void quantileEdgesDoNotDependOnTheOrderInWhichPartitionsFinish(SparkSession spark) {
    // Spark's approxQuantile folds the partitions' summaries in the order their tasks end; Plumb's
    // edges merge them in partition order, so two runs whose partitions end in opposite orders
    // give the same cuts, each within the relative error (1e-3 of rank) of the exact quantile.
    double[] probs = new double[99];
    for (int j = 0; j < probs.length; j++) {
      probs[j] = (j + 1) / 100.0;
    }
    double[][] first = Drift.approxQuantiles(slowPartitions(spark, true, false), probs, 1e-3);
    double[][] second = Drift.approxQuantiles(slowPartitions(spark, true, true), probs, 1e-3);
    assertThat(second[0]).containsExactly(first[0]);
    assertThat(second[1]).containsExactly(first[1]);
    List<Row> all = slowPartitions(spark, false, false).collectAsList();
    for (int c = 0; c < 2; c++) {
      List<Double> values = new ArrayList<>();
      for (Row r : all) {
        if (!r.isNullAt(c) && !Double.isNaN(r.getDouble(c))) {
          values.add(r.getDouble(c));
        }
      }
      values.sort(Double::compare);
      int n = values.size();
      assertThat(n).isEqualTo(c == 0 ? 256_000 : 256_000 - 36_572 - 19_948);
      for (int j = 0; j < probs.length; j++) {
        double q = first[c][j];
        int below = 0;
        int atMost = 0;
        for (double v : values) {
          below += v < q ? 1 : 0;
          atMost += v <= q ? 1 : 0;
        }
        double target = probs[j] * n;
        assertThat(target).isBetween(below - 1e-3 * n - 1, atMost + 1e-3 * n + 1);
      }
    }
    // A column with no value gives no quantile, as approxQuantile does.
    Dataset<Row> empty = spark.range(10).selectExpr("cast(null as double) as z");
    assertThat(Drift.approxQuantiles(empty, probs, 1e-3)[0]).isEmpty();
  }

  @Test
  void sharesPutNullsNanEdgesAndInfinitiesInTheirBins(SparkSession spark) {
    // Bins of cuts 25, 50, 75: null | x <= 25 | 25 < x <= 50 | 50 < x <= 75 | x > 75 (NaN above
    // every cut, as Spark orders it). Counted by hand: 2 | 3 | 2 | 1 | 2 of 10 rows.
    Dataset<Row> rows =
        xs(
                spark,
                List.of(
                    0.0,
                    0.0,
                    Double.NaN,
                    1.0,
                    25.0,
                    25.5,
                    50.0,
                    75.0,
                    76.0,
                    Double.NEGATIVE_INFINITY))
            .withColumn("x", org.apache.spark.sql.functions.expr("if(id < 2, null, x)"));
    Drift.Tally t = Drift.tally(rows, new Drift.Bins(Map.of("x", new double[] {25, 50, 75})));
    assertThat(t.rows()).isEqualTo(10);
    assertThat(t.shares().get("x")).containsExactly(0.2, 0.3, 0.2, 0.1, 0.2);
    assertThatThrownBy(() -> new Drift.Bins(Map.of("x", new double[] {25, 25, 75})))
        .hasMessageContaining("'x'")
        .hasMessageContaining("not strictly ascending");
  }

  @Test
  void driftFromTheStoredTrainingReferenceEqualsDriftMeasuredOnTheTrainingRows(SparkSession spark) {
    // The model's reference.json is DriftReference.fit on the scored train rows: evaluation takes
    // its edges and shares instead of fitting them again, with the same PSI.
    List<P> train = new ArrayList<>();
    List<P> test = new ArrayList<>();
    for (int i = 0; i < 3000; i++) {
      double x = (i * 37) % 101 + (i % 3) * 0.25;
      train.add(new P(i, i % 4 == 0 ? 1 : 0, 1 / (1 + Math.exp(5 - x / 10)), "a", x));
      double shifted = x + 12;
      test.add(new P(i, i % 4 == 0 ? 1 : 0, 1 / (1 + Math.exp(5 - shifted / 10)), "b", shifted));
    }
    Dataset<Row> reference = Fixtures.frame(spark, train);
    EvalSpec spec = Fixtures.spec(EvalSpec.Mode.FULL, List.of(), List.of());
    DriftReference stored =
        DriftReference.fit(reference, List.of("x"), "score", 0.5, spec.drift().bins(), "train");
    Dataset<Row> rows = Fixtures.frame(spark, test);
    EvalReport measured =
        Evaluator.evaluate(
            new Evaluator.Input(
                rows, "label", "score", "id", List.of("x"), null, reference, Map.of()),
            spec);
    EvalReport reused =
        Evaluator.evaluate(
            new Evaluator.Input(
                rows,
                "label",
                "score",
                "id",
                List.of("x"),
                null,
                reference,
                Map.of(),
                Map.of(),
                stored),
            spec);
    double psi = measured.metrics().get("drift.psi.x");
    assertThat(psi).isGreaterThan(0.1);
    assertThat(reused.metrics().get("drift.psi.x")).isCloseTo(psi, within(1e-12));
    assertThat(reused.toJson().toString()).contains("drift_reference_stored");
    assertThat(measured.toJson().toString()).doesNotContain("drift_reference_stored");
  }

  /** score = sigmoid(x / 10 - 5): rises with x, ignores group. */
  static final Scorer RISING =
      rows ->
          rows.withColumn("score", lit(1).divide(lit(1).plus(exp(col("x").divide(-10).plus(5)))));

  /** score = sigmoid(5 - x / 10): falls with x. */
  static final Scorer FALLING =
      rows ->
          rows.withColumn("score", lit(1).divide(lit(1).plus(exp(col("x").divide(10).minus(5)))));

  static EvalReport run(SparkSession spark, Scorer scorer, EvalSpec.Behaviour behaviour) {
    List<P> rows = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      double x = i % 100;
      double p = 1 / (1 + Math.exp(-(x / 10 - 5)));
      rows.add(new P(i, i % 3 == 0 ? 1 : 0, p, i % 2 == 0 ? "a" : "b", x));
    }
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
            null,
            d.drift(),
            behaviour,
            List.of());
    Evaluator.Input in =
        new Evaluator.Input(
            Fixtures.frame(spark, rows), "label", "score", "id", List.of("x"), scorer, null, null);
    return Evaluator.evaluate(in, spec);
  }

  @Test
  void directionalViolationsCountRowsWhoseScoreFalls(SparkSession spark) {
    EvalSpec.Behaviour b =
        new EvalSpec.Behaviour(
            100_000, null, null, List.of(new EvalSpec.Directional("x", 5, 1e-9)));
    Map<String, Double> rising = run(spark, RISING, b).metrics();
    assertThat(rising.get("behaviour.rows")).isEqualTo(1000.0);
    assertThat(rising.get("behaviour.directional.x.violation_rate")).isZero();
    assertThat(rising.get("behaviour.directional.x.mean_change")).isPositive();
    // The base scores come from the scorer, not the stored column: FALLING disagrees with it.
    Map<String, Double> falling = run(spark, FALLING, b).metrics();
    assertThat(falling.get("behaviour.directional.x.violation_rate")).isEqualTo(1.0);
  }

  @Test
  void invarianceAndPerturbationMeasureHowFarScoresMove(SparkSession spark) {
    EvalSpec.Behaviour b =
        new EvalSpec.Behaviour(
            100_000,
            new EvalSpec.Perturbation(List.of("x"), 0.1),
            new EvalSpec.Invariance("id", List.of(0.0), 0.0),
            List.of());
    Map<String, Double> m = run(spark, RISING, b).metrics();
    // The scorer ignores id: no row moves.
    assertThat(m.get("behaviour.invariance.id.violation_rate")).isZero();
    assertThat(m.get("behaviour.invariance.id.max_abs_change")).isZero();
    // Noise of at most 0.1 sd (sd of 0..99 = 28.87) moves x by < 2.887, so the score by less
    // than the sigmoid's largest slope (1/40 per unit of x) times that.
    double sd = Math.sqrt((100 * 100 - 1) / 12.0);
    assertThat(m.get("behaviour.perturbation.max_abs_change"))
        .isPositive()
        .isLessThanOrEqualTo(0.1 * sd / 40);
    // Flips happen only for rows within 0.1 sd of the 0.5 crossing (x = 50): 47..52 of 0..99.
    assertThat(m.get("behaviour.perturbation.flip_rate")).isBetween(0.0, 0.06);
    assertThatThrownBy(
            () ->
                run(
                    spark,
                    RISING,
                    new EvalSpec.Behaviour(
                        10, null, new EvalSpec.Invariance("nope", List.of(1.0), 0), List.of())))
        .hasMessageContaining("Cannot evaluate: the spec's column 'nope' is missing");
  }

  static double sigmoid(double x) {
    return 1 / (1 + Math.exp(-(x / 10 - 5)));
  }

  @Test
  void everyTestReScoredInOneJobGivesWhatEachTestGivesAloneAndByHand(SparkSession spark) {
    // All four kinds in one run (re-scored together, compared per variant): invariance of x at 10
    // and 90, directional on x (rising) and on id (ignored by the scorer, a long widened to double
    // for the others), perturbation of x. Each equals its test run alone, and the invariance and
    // directional values equal the ones computed here from the fixture (x = i % 100).
    EvalSpec.Perturbation perturbation = new EvalSpec.Perturbation(List.of("x"), 0.1);
    EvalSpec.Invariance invariance = new EvalSpec.Invariance("x", List.of(10.0, 90.0), 0.01);
    List<EvalSpec.Directional> directional =
        List.of(new EvalSpec.Directional("x", 5, 1e-9), new EvalSpec.Directional("id", 1, 1e-9));
    Map<String, Double> all =
        run(spark, RISING, new EvalSpec.Behaviour(100_000, perturbation, invariance, directional))
            .metrics();
    Map<String, Double> alone = new java.util.HashMap<>();
    alone.putAll(
        run(spark, RISING, new EvalSpec.Behaviour(100_000, perturbation, null, List.of()))
            .metrics());
    alone.putAll(
        run(spark, RISING, new EvalSpec.Behaviour(100_000, null, invariance, List.of())).metrics());
    for (EvalSpec.Directional d : directional) {
      alone.putAll(
          run(spark, RISING, new EvalSpec.Behaviour(100_000, null, null, List.of(d))).metrics());
    }
    Map<String, Double> fused = new java.util.TreeMap<>();
    all.forEach(
        (k, v) -> {
          if (k.startsWith("behaviour.")) {
            fused.put(k, v);
          }
        });
    assertThat(fused).hasSize(11);
    for (Map.Entry<String, Double> e : fused.entrySet()) {
      assertThat(e.getValue()).as(e.getKey()).isEqualTo(alone.get(e.getKey()));
    }

    double worstRate = 0;
    double worstMax = 0;
    double sumMean = 0;
    for (double v : List.of(10.0, 90.0)) {
      long violations = 0;
      double sumAbs = 0;
      double max = 0;
      for (int i = 0; i < 1000; i++) {
        double change = Math.abs(sigmoid(v) - sigmoid(i % 100));
        violations += change > 0.01 ? 1 : 0;
        sumAbs += change;
        max = Math.max(max, change);
      }
      worstRate = Math.max(worstRate, violations / 1000.0);
      worstMax = Math.max(worstMax, max);
      sumMean += sumAbs / 1000;
    }
    assertThat(fused.get("behaviour.invariance.x.violation_rate")).isEqualTo(worstRate);
    assertThat(fused.get("behaviour.invariance.x.max_abs_change"))
        .isCloseTo(worstMax, within(1e-12));
    assertThat(fused.get("behaviour.invariance.x.mean_abs_change"))
        .isCloseTo(sumMean / 2, within(1e-12));
    double rise = 0;
    for (int i = 0; i < 1000; i++) {
      rise += sigmoid(i % 100 + 5) - sigmoid(i % 100);
    }
    assertThat(fused.get("behaviour.directional.x.violation_rate")).isZero();
    assertThat(fused.get("behaviour.directional.x.mean_change"))
        .isCloseTo(rise / 1000, within(1e-12));
    assertThat(fused.get("behaviour.directional.id.violation_rate")).isZero();
    assertThat(fused.get("behaviour.directional.id.mean_change")).isZero();
  }
}

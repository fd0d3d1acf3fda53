package dev.plumb.evaluation;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.xxhash64;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.plumb.evaluation.Fixtures.P;
import dev.plumb.testing.SharedSpark;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(SharedSpark.class)
class FastModeTest {

  static Set<Long> ids(Dataset<Row> rows) {
    return rows.select("id").collectAsList().stream()
        .map(r -> r.getLong(0))
        .collect(Collectors.toSet());
  }

  @Test
  void theSampleHoldsTheSmallestHashesOfEachStratumInProportion(SparkSession spark) {
    List<P> rows = Fixtures.random(5000, 2);
    Dataset<Row> frame = Fixtures.frame(spark, rows).repartition(4);
    EvalSpec.Sample spec = new EvalSpec.Sample(0.1, 0, "group", 99);
    StratifiedSample.Result s = StratifiedSample.draw(frame, "label", "id", spec);
    // Brute force: every row's hash, grouped by stratum, smallest round(0.1 * size) kept.
    Map<Long, Long> hash = new HashMap<>();
    for (Row r : frame.select(col("id"), xxhash64(lit(99L), col("id"))).collectAsList()) {
      hash.put(r.getLong(0), r.getLong(1));
    }
    Map<String, List<P>> strata =
        rows.stream()
            .collect(
                Collectors.groupingBy(p -> (p.label() == 1 ? "1.0" : "0.0") + "|" + p.group()));
    Set<Long> expected = new java.util.HashSet<>();
    for (Map.Entry<String, List<P>> e : strata.entrySet()) {
      long k = Math.round(0.1 * e.getValue().size());
      e.getValue().stream()
          .map(P::id)
          .sorted(Comparator.comparing(hash::get))
          .limit(k)
          .forEach(expected::add);
      assertThat(s.sampleSizes().get(e.getKey())).isEqualTo(k);
      assertThat(s.strataSizes().get(e.getKey())).isEqualTo(e.getValue().size());
    }
    assertThat(strata).hasSize(6);
    assertThat(ids(s.rows())).isEqualTo(expected);
    // The same rows on every run, whatever the partitioning; another seed draws others.
    assertThat(ids(StratifiedSample.draw(frame.repartition(7), "label", "id", spec).rows()))
        .isEqualTo(expected);
    Set<Long> other =
        ids(StratifiedSample.draw(frame, "label", "id", new EvalSpec.Sample(0.1, 0, "", 5)).rows());
    assertThat(other).isNotEqualTo(expected);
  }

  @Test
  void oneScanDrawsTheRowsTwoPassesDraw(SparkSession spark) {
    Dataset<Row> frame = Fixtures.frame(spark, Fixtures.random(20_000, 41)).repartition(5);
    for (EvalSpec.Sample spec :
        List.of(new EvalSpec.Sample(0.1, 0, "group", 3), new EvalSpec.Sample(1, 900, "", 8))) {
      StratifiedSample.Result two = StratifiedSample.drawInTwoPasses(frame, "label", "id", spec);
      assertThat(two.scans()).isEqualTo(2);
      assertThat(two.size()).isGreaterThan(800);
      // Counted first (-1), a right size, a bound that keeps every row (0), and 1e9 rows
      // expected: for a fraction, more candidates than the driver takes (two passes); for a size,
      // a bound so low that no stratum has its sample below it (one scan, then two passes).
      for (long expected : new long[] {-1, 20_000, 0, 1_000_000_000L}) {
        StratifiedSample.Result one = StratifiedSample.draw(frame, "label", "id", spec, expected);
        assertThat(one.scans())
            .as("scans, %s rows expected", expected)
            .isEqualTo(expected < 1_000_000_000L ? 1 : spec.rows() > 0 ? 3 : 2);
        assertThat(ids(one.rows())).as("%s rows expected", expected).isEqualTo(ids(two.rows()));
        assertThat(one.strataSizes()).isEqualTo(two.strataSizes());
        assertThat(one.sampleSizes()).isEqualTo(two.sampleSizes());
        assertThat(one.rows().columns()).containsExactly(frame.columns());
        assertThat(one.rows().collectAsList())
            .containsExactlyInAnyOrderElementsOf(two.rows().collectAsList());
      }
    }
  }

  @Test
  void oneScanHashesAStringOrNullKeyAsSparksXxhash64Does(SparkSession spark) {
    // The one-scan draw hashes each key itself: a string key (and a null one) must give the rows
    // the two-pass draw's xxhash64 column gives.
    Dataset<Row> frame =
        Fixtures.frame(spark, Fixtures.random(6_000, 17))
            .withColumn(
                "sid",
                org.apache
                    .spark
                    .sql
                    .functions
                    .when(col("id").mod(97).equalTo(0), lit(null))
                    .otherwise(org.apache.spark.sql.functions.concat(lit("k-"), col("id"))))
            .repartition(3);
    EvalSpec.Sample spec = new EvalSpec.Sample(0.2, 0, "group", 11);
    StratifiedSample.Result two = StratifiedSample.drawInTwoPasses(frame, "label", "sid", spec);
    StratifiedSample.Result one = StratifiedSample.draw(frame, "label", "sid", spec, 6_000);
    assertThat(one.scans()).isEqualTo(1);
    assertThat(two.size()).isGreaterThan(1_000);
    assertThat(ids(one.rows())).isEqualTo(ids(two.rows()));
    assertThat(one.sampleSizes()).isEqualTo(two.sampleSizes());
  }

  @Test
  void aSizeIsSpreadOverStrataInProportion(SparkSession spark) {
    Dataset<Row> frame = Fixtures.frame(spark, Fixtures.random(4000, 6));
    StratifiedSample.Result s =
        StratifiedSample.draw(frame, "label", "id", new EvalSpec.Sample(1, 400, "", 1));
    long positives = frame.filter(col("label").equalTo(1.0)).count();
    assertThat(s.sampleSizes().get("1.0")).isEqualTo(Math.round(0.1 * positives));
    assertThat(s.sampleSizes().get("0.0")).isEqualTo(Math.round(0.1 * (4000 - positives)));
    assertThat(s.rows().count()).isEqualTo(s.size());
  }

  @Test
  void fastModeMeasuresTheSampleExactlyWithAnInterval(SparkSession spark) {
    List<P> rows = Fixtures.random(6000, 12);
    Dataset<Row> frame = Fixtures.frame(spark, rows);
    EvalSpec spec =
        Fixtures.spec(
            EvalSpec.Mode.FAST,
            List.of(),
            List.of(Gate.atLeast("roc_auc", 0.5), Gate.atMost("ece", 0.0)));
    EvalReport r = Evaluator.evaluate(Fixtures.input(frame), spec);
    // ECE is a full-mode metric: its gate waits for full mode instead of failing here.
    assertThat(r.sample().get("gates_left_to_full_mode"))
        .isEqualTo(List.of(spec.gates().get(1).name()));
    Set<Long> sampled = ids(StratifiedSample.draw(frame, "label", "id", spec.sample()).rows());
    List<P> in = rows.stream().filter(p -> sampled.contains(p.id())).toList();
    double loss = 0;
    double correct = 0;
    for (P p : in) {
      loss += p.label() == 1 ? -Math.log(p.score()) : -Math.log(1 - p.score());
      correct += (p.score() >= 0.5) == (p.label() == 1) ? 1 : 0;
    }
    Map<String, Double> m = r.metrics();
    assertThat(r.mode()).isEqualTo(EvalSpec.Mode.FAST);
    assertThat(m.get("sample.rows")).isEqualTo((double) in.size()).isCloseTo(600, within(2.0));
    assertThat(m.get("sample.population_rows")).isEqualTo(6000.0);
    assertThat(m.get("roc_auc")).isCloseTo(Fixtures.auc(in), within(1e-9));
    assertThat(m.get("log_loss")).isCloseTo(loss / in.size(), within(1e-9));
    assertThat(m.get("accuracy")).isCloseTo(correct / in.size(), within(1e-12));
    assertThat(m.get("roc_auc.ci_low")).isLessThan(m.get("roc_auc"));
    assertThat(m.get("roc_auc.ci_high")).isGreaterThan(m.get("roc_auc"));
    assertThat(m).doesNotContainKey("brier").doesNotContainKey("slice.group=a.count");
    assertThat(r.gates()).singleElement().extracting(GateResult::passed).isEqualTo(true);
  }

  @Test
  void givenUnscoredRowsAndAScorerFastModeScoresOnlyItsSample(SparkSession spark) {
    Dataset<Row> frame = Fixtures.frame(spark, Fixtures.random(6000, 21));
    EvalSpec spec = Fixtures.spec(EvalSpec.Mode.FAST, List.of(), List.of());
    EvalReport scored = Evaluator.evaluate(Fixtures.input(frame), spec);
    org.apache.spark.util.LongAccumulator scoredRows = spark.sparkContext().longAccumulator();
    Scorer scorer =
        rows ->
            rows.withColumn(
                "score",
                org.apache
                    .spark
                    .sql
                    .functions
                    .udf(
                        (Double h) -> {
                          scoredRows.add(1);
                          return h;
                        },
                        org.apache.spark.sql.types.DataTypes.DoubleType)
                    .apply(col("hidden")));
    Evaluator.Input in = Fixtures.input(frame.withColumnRenamed("score", "hidden"));
    Evaluator.Input unscored =
        new Evaluator.Input(
            in.predictions(), in.label(), "score", in.key(), in.features(), scorer, null, null);
    EvalReport r = Evaluator.evaluate(unscored, spec);
    assertThat(r.metrics()).isEqualTo(scored.metrics());
    assertThat(scoredRows.value()).isEqualTo((long) (double) r.metrics().get("sample.rows"));
  }

  @Test
  void aStoredSampleGivesTheSameReportAsDrawingIt(SparkSession spark) {
    Dataset<Row> frame = Fixtures.frame(spark, Fixtures.random(5000, 31));
    EvalSpec spec = Fixtures.spec(EvalSpec.Mode.FAST, List.of(), List.of());
    EvalReport drawn = Evaluator.evaluate(Fixtures.input(frame), spec);
    StratifiedSample.Result s = StratifiedSample.draw(frame, "label", "id", spec.sample());
    // Stored and read back in another partitioning, as the evaluate stage does.
    Dataset<Row> stored = spark.createDataFrame(s.rows().collectAsList(), s.rows().schema());
    EvalReport r =
        Evaluator.evaluateSample(
            Fixtures.input(frame), stored.repartition(3), spec, s.strataSizes(), s.sampleSizes());
    assertThat(r.metrics()).containsOnlyKeys(drawn.metrics().keySet());
    drawn
        .metrics()
        .forEach((k, v) -> assertThat(r.metrics().get(k)).as(k).isCloseTo(v, within(1e-12)));
    assertThat(r.sample().get("strata_sizes")).isEqualTo(drawn.sample().get("strata_sizes"));
    assertThatThrownBy(
            () ->
                Evaluator.evaluateSample(
                    Fixtures.input(frame),
                    stored,
                    Fixtures.spec(EvalSpec.Mode.FULL, List.of(), List.of()),
                    s.strataSizes(),
                    s.sampleSizes()))
        .hasMessageContaining("fast mode only");
  }
}

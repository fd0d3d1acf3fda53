package dev.plumb.bench;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.exp;
import static org.apache.spark.sql.functions.floor;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.log1p;
import static org.apache.spark.sql.functions.pmod;
import static org.apache.spark.sql.functions.when;
import static org.apache.spark.sql.functions.xxhash64;
import static org.assertj.core.api.Assertions.assertThat;

import dev.plumb.evaluation.EvalReport;
import dev.plumb.evaluation.EvalSpec;
import dev.plumb.evaluation.Evaluator;
import dev.plumb.evaluation.Gate;
import dev.plumb.evaluation.Scorer;
import dev.plumb.evaluation.StratifiedSample;
import dev.plumb.testing.SharedSpark;
import dev.plumb.training.ModelFiles;
import dev.plumb.training.TrainedModel;
import dev.plumb.training.TrainingSpec;
import dev.plumb.training.XGBoostTrainer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Evaluation benchmark (issue 6), all in one run on the same rows: XGBoost training time, full-mode
 * and fast-mode evaluation time over the model's predictions, and the difference between binned and
 * exact metrics. Rows: {@code -Dplumb.bench.rows} (default 5,000,000). Run with {@code ./mvnw -B -o
 * test -pl tests -Dplumb.groups=benchmark -Dplumb.excludedGroups= -Dtest=EvaluationBenchmarkTest};
 * prints a table and writes it to {@code tests/target/bench-evaluation.txt}.
 */
@Tag("benchmark")
@ExtendWith(SharedSpark.class)
class EvaluationBenchmarkTest {

  static final List<String> FEATURES =
      List.of("amount", "age", "tenure_days", "num_txn_30d", "country", "channel");

  static Column uniform(long stream) {
    return pmod(xxhash64(lit(stream), col("id")), lit(1_000_000L)).cast("double").divide(1e6);
  }

  /** Demo-like rows: ~5-10% positives, two categorical indexes, deterministic from the id. */
  static Dataset<Row> data(SparkSession spark, long rows) {
    Dataset<Row> base =
        spark
            .range(0, rows, 1, 2)
            .toDF()
            .withColumn("amount", exp(uniform(1).multiply(6)))
            .withColumn("age", floor(uniform(2).multiply(62)).plus(18).cast("double"))
            .withColumn("tenure_days", floor(uniform(3).multiply(3650)).cast("double"))
            .withColumn(
                "num_txn_30d", floor(uniform(4).multiply(uniform(4)).multiply(60)).cast("double"))
            .withColumn("country", floor(uniform(5).multiply(6)).cast("double"))
            .withColumn("channel", floor(uniform(6).multiply(3)).cast("double"));
    Column logit =
        lit(-3.6)
            .plus(log1p(col("amount")).minus(3).multiply(0.55))
            .plus(col("age").minus(45).multiply(-0.025))
            .plus(col("tenure_days").multiply(-0.0004))
            .plus(col("num_txn_30d").multiply(0.035))
            .plus(when(col("channel").equalTo(2.0), 1.0).otherwise(0.0))
            .plus(when(col("country").equalTo(0.0), 0.7).otherwise(0.0));
    Column p = lit(1.0).divide(lit(1.0).plus(exp(logit.multiply(-1))));
    return base.withColumn("label", when(uniform(7).lt(p), 1.0).otherwise(0.0));
  }

  record Timed<T>(T value, double seconds) {}

  /** The largest absolute difference between two metric maps over the first one's keys. */
  static double maxDifference(Map<String, Double> a, Map<String, Double> b) {
    return a.keySet().stream()
        .mapToDouble(k -> Math.abs(a.get(k) - b.getOrDefault(k, Double.NaN)))
        .max()
        .orElse(0);
  }

  static <T> Timed<T> time(Supplier<T> s) {
    long t0 = System.nanoTime();
    T v = s.get();
    return new Timed<>(v, (System.nanoTime() - t0) / 1e9);
  }

  static EvalSpec spec(EvalSpec.Mode mode) {
    EvalSpec d = EvalSpec.defaults();
    return new EvalSpec(
        mode,
        0.5,
        new EvalSpec.Sample(0.1, 100_000, "channel", 17),
        100,
        new EvalSpec.Costs(1, 10),
        new EvalSpec.Bootstrap(100, 0.95, 7),
        10,
        new EvalSpec.Slices(List.of("channel", "country"), 1000, 3),
        new EvalSpec.Heuristic("num_txn_30d", true, 30.0),
        new EvalSpec.Drift(List.of(), 10),
        new EvalSpec.Behaviour(
            10_000,
            new EvalSpec.Perturbation(List.of("amount", "age", "tenure_days", "num_txn_30d"), 0.05),
            new EvalSpec.Invariance("channel", List.of(0.0, 1.0, 2.0), 0.05),
            List.of(new EvalSpec.Directional("num_txn_30d", 5, 0.001))),
        List.of(Gate.atLeast("roc_auc", 0.6), Gate.atMost("ece", 0.05)));
  }

  /**
   * Exact ROC-AUC (ties half), average precision (scikit-learn's, step-wise) and the number of
   * distinct scores.
   */
  static double[] exactAreas(Dataset<Row> predictions) {
    List<Row> counts =
        predictions
            .groupBy(col("score"))
            .agg(
                org.apache.spark.sql.functions.sum(col("label")),
                org.apache.spark.sql.functions.count(lit(1)))
            .orderBy(col("score").desc())
            .collectAsList();
    double p = 0;
    double n = 0;
    for (Row r : counts) {
      p += r.getDouble(1);
      n += r.getLong(2) - r.getDouble(1);
    }
    double tp = 0;
    double fp = 0;
    double wins = 0;
    double ap = 0;
    for (Row r : counts) {
      double pos = r.getDouble(1);
      double neg = r.getLong(2) - pos;
      wins += neg * (tp + 0.5 * pos);
      tp += pos;
      fp += neg;
      ap += pos / p * (tp / (tp + fp));
    }
    return new double[] {wins / (p * n), ap, counts.size()};
  }

  @Test
  void fullAndFastModeAgainstTraining(SparkSession spark) throws Exception {
    long rows = Long.getLong("plumb.bench.rows", 5_000_000L);
    Dataset<Row> data = data(spark, rows).persist(StorageLevel.MEMORY_AND_DISK());
    Timed<Long> materialise = time(data::count);
    TrainingSpec trainSpec =
        new TrainingSpec("binary:logistic", "logloss", 100, 6, 0.1, 2, 1, 0, 42L, "cpu");
    Timed<TrainedModel> train =
        time(() -> XGBoostTrainer.train(data, data, trainSpec, "label", FEATURES));
    byte[] booster = train.value().booster();
    Scorer scorer = r -> ModelFiles.score(booster, FEATURES, r, 0);
    Dataset<Row> predictions = scorer.score(data).persist(StorageLevel.MEMORY_AND_DISK());
    Timed<Long> score = time(predictions::count);
    Evaluator.Input input =
        new Evaluator.Input(predictions, "label", "score", "id", FEATURES, scorer, data, null);
    // Fast mode as the evaluate stage runs it: the unscored rows and the scorer; it samples first
    // and scores only its sample.
    Evaluator.Input unscored =
        new Evaluator.Input(data, "label", "score", "id", FEATURES, scorer, data, null);

    // Interleaved: full, fast, full, fast; the faster of each pair is reported.
    List<Double> full = new ArrayList<>();
    List<Double> fast = new ArrayList<>();
    EvalReport fullReport = null;
    EvalReport fastReport = null;
    for (int i = 0; i < 2; i++) {
      Timed<EvalReport> f = time(() -> Evaluator.evaluate(input, spec(EvalSpec.Mode.FULL)));
      full.add(f.seconds());
      fullReport = f.value();
      Timed<EvalReport> s = time(() -> Evaluator.evaluate(unscored, spec(EvalSpec.Mode.FAST)));
      fast.add(s.seconds());
      fastReport = s.value();
    }
    // Fast mode as the evaluate stage runs it from the second time on: the sample, drawn once per
    // feature-set version and sample spec, is stored as a Delta table and read back.
    Path stored = Files.createTempDirectory("plumb-bench-sample").resolve("rows");
    EvalSpec fastSpec = spec(EvalSpec.Mode.FAST);
    StratifiedSample.Result drawn = StratifiedSample.draw(data, "label", "id", fastSpec.sample());
    drawn.rows().write().format("delta").save(stored.toString());
    drawn.close();
    List<Double> storedRuns = new ArrayList<>();
    EvalReport storedReport = null;
    for (int i = 0; i < 2; i++) {
      Timed<EvalReport> s =
          time(
              () ->
                  Evaluator.evaluateSample(
                      unscored,
                      spark.read().format("delta").load(stored.toString()),
                      fastSpec,
                      drawn.strataSizes(),
                      drawn.sampleSizes()));
      storedRuns.add(s.seconds());
      storedReport = s.value();
    }
    double storedS = storedRuns.stream().mapToDouble(Double::doubleValue).min().orElseThrow();
    double fullS = full.stream().mapToDouble(Double::doubleValue).min().orElseThrow();
    double fastS = fast.stream().mapToDouble(Double::doubleValue).min().orElseThrow();
    // Exact areas, outside the timings: positives and negatives per distinct score, ordered.
    Timed<double[]> exact = time(() -> exactAreas(predictions));
    Map<String, Double> m = fullReport.metrics();
    double rocDiff = Math.abs(m.get("roc_auc") - exact.value()[0]);
    double prDiff = Math.abs(m.get("average_precision") - exact.value()[1]);
    double sliceDiff = 0;
    for (double v : new double[] {0, 1, 2}) {
      double e = exactAreas(predictions.filter(col("channel").equalTo(v)))[0];
      sliceDiff = Math.max(sliceDiff, Math.abs(m.get("slice.channel=" + (int) v + ".roc_auc") - e));
    }
    String table =
        String.join(
            "\n",
            String.format(
                "rows                          %,d (%s)", rows, spark.sparkContext().master()),
            String.format("positives                     %,d", (long) (double) m.get("positives")),
            String.format("generate + cache              %.1f s", materialise.seconds()),
            String.format(
                "train (100 rounds, depth 6)   %.1f s (2 workers x 1 thread)", train.seconds()),
            String.format("score + cache predictions     %.1f s", score.seconds()),
            String.format("full mode                     %.1f s  (runs: %s)", fullS, full),
            String.format(
                "fast mode (100k sample, scored by fast mode)  %.1f s  (runs: %s)", fastS, fast),
            String.format(
                "fast mode, stored sample       %.1f s  (runs: %s); max |metric - drawn|: %.1e",
                storedS, storedRuns, maxDifference(storedReport.metrics(), fastReport.metrics())),
            String.format("fast (stored sample) / full    %.3f  (target <= 0.10)", storedS / fullS),
            String.format("full mode parts (last run, s) %s", fullReport.sample().get("timings_s")),
            String.format("fast mode parts (last run, s) %s", fastReport.sample().get("timings_s")),
            String.format(
                "exact areas (distinct-score counts, driver sums) %.1f s; %,d distinct scores",
                exact.seconds(), (long) exact.value()[2]),
            String.format(
                "full / train                  %.3f  (target <= 0.25)", fullS / train.seconds()),
            String.format("fast / full                   %.3f  (target <= 0.10)", fastS / fullS),
            String.format(
                "counting the scoring of every row in full mode: full / train %.3f, fast / full"
                    + " %.3f",
                (fullS + score.seconds()) / train.seconds(), fastS / (fullS + score.seconds())),
            String.format(
                "|ROC-AUC binned - exact|      %.2e  (1e-5 bins; target <= 1e-4)", rocDiff),
            String.format("|average precision - exact|   %.2e", prDiff),
            String.format("max |slice ROC-AUC binned - exact| %.2e  (1e-3 bins)", sliceDiff),
            String.format(
                "full ROC-AUC %.5f [%.5f, %.5f]; fast ROC-AUC %.5f [%.5f, %.5f] on %,d rows",
                m.get("roc_auc"),
                m.get("roc_auc.ci_low"),
                m.get("roc_auc.ci_high"),
                fastReport.metrics().get("roc_auc"),
                fastReport.metrics().get("roc_auc.ci_low"),
                fastReport.metrics().get("roc_auc.ci_high"),
                (long) (double) fastReport.metrics().get("sample.rows")));
    System.out.println("\n== Evaluation benchmark ==\n" + table + "\n");
    Files.writeString(
        Path.of("target", "bench-evaluation.txt"), table + "\n", StandardCharsets.UTF_8);
    predictions.unpersist();
    data.unpersist();
    assertThat(rocDiff).isLessThan(1e-3);
    assertThat(storedReport.metrics()).containsOnlyKeys(fastReport.metrics().keySet());
    assertThat(maxDifference(storedReport.metrics(), fastReport.metrics())).isLessThan(1e-9);
    assertThat(fastReport.metrics().get("roc_auc.ci_low"))
        .isLessThan(m.get("roc_auc"))
        .isGreaterThan(m.get("roc_auc") - 0.05);
  }
}

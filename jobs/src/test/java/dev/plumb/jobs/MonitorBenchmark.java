package dev.plumb.jobs;

import static org.apache.spark.sql.functions.col;

import dev.plumb.features.Splits;
import dev.plumb.features.ingest.IngestRun;
import dev.plumb.features.store.FeatureStore;
import dev.plumb.jobs.tracking.NoTracking;
import dev.plumb.testing.SharedSpark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code plumb monitor} against the full evaluation of the same rows, interleaved in one JVM: the
 * evaluation is {@code plumb evaluate} in full mode with the demo's evaluation spec on the feature
 * set's test split; the monitor reads the raw clean rows of the same keys (a Delta table written
 * before timing), checks them against the contract, transforms, scores and measures drift against
 * the stored training reference. Each round runs both, each from a collected heap, taking turns
 * going first; the medians of 4 rounds (-Dplumb.bench.rounds) after a warm-up round. Run: {@code
 * ./mvnw -B verify -pl jobs -Dplumb.groups=benchmark -Dplumb.excludedGroups=
 * -Dtest=MonitorBenchmark -Dsurefire.failIfNoSpecifiedTests=false -Dplumb.bench.rows=5000000};
 * prints a table and writes it to {@code jobs/target/bench-monitor.txt}.
 */
@Tag("benchmark")
@ExtendWith(SharedSpark.class)
class MonitorBenchmark {

  @TempDir Path tmp;

  private static double median(List<Double> v) {
    List<Double> s = new ArrayList<>(v);
    Collections.sort(s);
    return s.get(s.size() / 2);
  }

  @Test
  void monitorAgainstTheFullEvaluationOfTheSameRows(SparkSession spark) throws Exception {
    int rows = Integer.getInteger("plumb.bench.rows", 500_000);
    int rounds = Integer.getInteger("plumb.bench.rounds", 4);
    PlumbConfig config =
        FeaturesStageTest.demoConfig(
            spark,
            tmp,
            rows,
            7,
            "train.num_round=50",
            "evaluate.spec=" + Path.of("..", "conf", "eval", "demo.yaml").toAbsolutePath(),
            "evaluate.mode=full");
    IngestRun.Result ingest = IngestStage.run(spark, config, new NoTracking());
    FeaturesStage.Result features = FeaturesStage.run(spark, config, new NoTracking());
    TrainStage.Result trained = TrainStage.run(spark, config, new NoTracking());
    Dataset<Row> testKeys =
        spark
            .read()
            .format("delta")
            .load(FeatureStore.data(features.directory()))
            .filter(col(Splits.COLUMN).equalTo(Splits.TEST))
            .select("id");
    String input = tmp.resolve("test-raw").toString();
    spark
        .read()
        .format("delta")
        .load(ingest.cleanTable())
        .join(testKeys, "id")
        .write()
        .format("delta")
        .save(input);
    long n = spark.read().format("delta").load(input).count();

    List<Double> evaluation = new ArrayList<>();
    List<Double> monitor = new ArrayList<>();
    for (int i = -1; i < rounds; i++) { // round -1 warms up
      // Each side starts from a collected heap, and they take turns going first: neither pays
      // for the other's garbage or always runs on the warmer JVM.
      boolean monitorFirst = i % 2 != 0;
      double ms = monitorFirst ? timedMonitor(spark, config, trained, input, n) : 0;
      System.gc();
      long t = System.nanoTime();
      EvaluateStage.Result e = EvaluateStage.run(spark, config, new NoTracking());
      double es = (System.nanoTime() - t) / 1e9;
      if (e.metrics().count() != n) {
        throw new AssertionError("rows differ: evaluation " + e.metrics().count() + ", " + n);
      }
      if (!monitorFirst) {
        ms = timedMonitor(spark, config, trained, input, n);
      }
      if (i >= 0) {
        evaluation.add(es);
        monitor.add(ms);
      }
    }
    int cores = spark.sparkContext().defaultParallelism();
    double e = median(evaluation);
    double m = median(monitor);
    String table =
        String.format(
            "generated rows %,d, compared rows (test split) %,d, %d cores, medians of %d"
                + " interleaved rounds%n"
                + "| measure | seconds |%n| --- | --- |%n"
                + "| plumb evaluate, full mode, demo spec (test split) | %.2f |%n"
                + "| plumb monitor (raw rows of the same keys) | %.2f |%n"
                + "| monitor / full evaluation | %.2f |%n"
                + "runs: evaluation %s, monitor %s%n",
            rows, n, cores, rounds, e, m, m / e, evaluation, monitor);
    System.out.println(table);
    Files.writeString(Path.of("target", "bench-monitor.txt"), table);
  }

  private static double timedMonitor(
      SparkSession spark, PlumbConfig config, TrainStage.Result trained, String input, long n) {
    System.gc();
    long t = System.nanoTime();
    MonitorStage.Result m =
        MonitorStage.run(spark, config, trained.modelDir(), trained.modelDir(), input);
    double seconds = (System.nanoTime() - t) / 1e9;
    if (m.rows() != n) {
      throw new AssertionError("rows differ: monitor " + m.rows() + ", " + n);
    }
    return seconds;
  }
}

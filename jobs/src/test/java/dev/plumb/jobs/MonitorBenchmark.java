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
 * the stored training reference. Run: {@code ./mvnw -B verify -pl jobs -Dplumb.groups=benchmark
 * -Dplumb.excludedGroups= -Dtest=MonitorBenchmark -Dsurefire.failIfNoSpecifiedTests=false
 * -Dplumb.bench.rows=5000000}; prints a table and writes it to {@code
 * jobs/target/bench-monitor.txt}.
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
    int rounds = Integer.getInteger("plumb.bench.rounds", 2);
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
      long t = System.nanoTime();
      EvaluateStage.Result e = EvaluateStage.run(spark, config, new NoTracking());
      double es = (System.nanoTime() - t) / 1e9;
      t = System.nanoTime();
      MonitorStage.Result m =
          MonitorStage.run(spark, config, trained.modelDir(), trained.modelDir(), input);
      double ms = (System.nanoTime() - t) / 1e9;
      if (e.metrics().count() != n || m.rows() != n) {
        throw new AssertionError(
            "rows differ: evaluation " + e.metrics().count() + ", monitor " + m.rows() + ", " + n);
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
}

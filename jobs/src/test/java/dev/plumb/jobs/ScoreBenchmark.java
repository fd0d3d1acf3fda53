package dev.plumb.jobs;

import static org.apache.spark.sql.functions.col;

import dev.plumb.features.ingest.IngestRun;
import dev.plumb.features.store.FeatureStore;
import dev.plumb.jobs.tracking.NoTracking;
import dev.plumb.testing.SharedSpark;
import dev.plumb.training.ModelFiles;
import dev.plumb.training.ModelMetadata;
import dev.plumb.training.ModelStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code plumb score} against the evaluation's own score pass on the same rows, interleaved in one
 * JVM: the score job reads the raw clean rows, checks them against the contract, applies the fitted
 * transform, scores and writes the predictions' Delta table; the evaluation pass scores the stored
 * feature rows and caches them (what full mode does before its metrics). Also with the top-3 SHAP
 * contributions. Run: {@code ./mvnw -B verify -pl jobs -Dplumb.groups=benchmark
 * -Dplumb.excludedGroups= -Dtest=ScoreBenchmark -Dsurefire.failIfNoSpecifiedTests=false
 * -Dplumb.bench.rows=500000}; prints a table and writes it to {@code jobs/target/bench-score.txt}.
 */
@Tag("benchmark")
@ExtendWith(SharedSpark.class)
class ScoreBenchmark {

  @TempDir Path tmp;

  private static double median(List<Double> v) {
    List<Double> s = new ArrayList<>(v);
    Collections.sort(s);
    return s.get(s.size() / 2);
  }

  @Test
  void scoreAgainstTheEvaluationScorePass(SparkSession spark) throws Exception {
    int rows = Integer.getInteger("plumb.bench.rows", 500_000);
    int rounds = Integer.getInteger("plumb.bench.rounds", 3);
    // -Dplumb.bench.shap=false leaves out the (slow) contributions rounds.
    boolean shap = Boolean.parseBoolean(System.getProperty("plumb.bench.shap", "true"));
    PlumbConfig config = FeaturesStageTest.demoConfig(spark, tmp, rows, 7, "train.num_round=50");
    IngestRun.Result ingest = IngestStage.run(spark, config, new NoTracking());
    FeaturesStage.Result features = FeaturesStage.run(spark, config, new NoTracking());
    TrainStage.Result trained = TrainStage.run(spark, config, new NoTracking());
    ModelStore models = TrainStage.modelStore(config);
    ModelMetadata meta = models.metadata(trained.modelDir());
    byte[] booster = models.booster(trained.modelDir());
    Dataset<Row> featureRows =
        spark.read().format("delta").load(FeatureStore.data(features.directory()));
    long n = featureRows.count();

    List<Double> evalPass = new ArrayList<>();
    List<Double> score = new ArrayList<>();
    List<Double> scoreShap = new ArrayList<>();
    for (int i = -1; i < rounds; i++) { // round -1 warms up
      long t = System.nanoTime();
      Dataset<Row> p =
          ModelFiles.score(booster, meta.featureNames(), featureRows, meta.iterationEnd())
              .persist(StorageLevel.MEMORY_AND_DISK());
      long counted = p.filter(col(ModelFiles.SCORE).geq(0)).count();
      double e = (System.nanoTime() - t) / 1e9;
      p.unpersist();
      t = System.nanoTime();
      ScoreStage.Result r =
          ScoreStage.run(
              spark,
              config,
              new NoTracking(),
              trained.modelDir(),
              ingest.cleanTable(),
              tmp.resolve("scored").toString(),
              0);
      double s = (System.nanoTime() - t) / 1e9;
      t = System.nanoTime();
      if (shap) {
        ScoreStage.run(
            spark,
            config,
            new NoTracking(),
            trained.modelDir(),
            ingest.cleanTable(),
            tmp.resolve("scored-shap").toString(),
            3);
      }
      double c = shap ? (System.nanoTime() - t) / 1e9 : Double.NaN;
      if (counted != n || r.rowsScored() != n) {
        throw new AssertionError("rows differ: " + counted + " / " + r.rowsScored() + " / " + n);
      }
      if (i >= 0) {
        evalPass.add(e);
        score.add(s);
        scoreShap.add(c);
      }
    }
    int cores = spark.sparkContext().defaultParallelism();
    double e = median(evalPass);
    double s = median(score);
    double c = median(scoreShap);
    String table =
        String.format(
            "rows %,d, %d cores, medians of %d interleaved rounds%n"
                + "| measure | seconds | rows/s/core |%n| --- | --- | --- |%n"
                + "| evaluation score pass (feature rows, cached) | %.2f | %,.0f |%n"
                + "| plumb score (raw rows -> checks -> transform -> score -> Delta) | %.2f | %,.0f |%n"
                + "| plumb score with top-3 SHAP contributions | %.2f | %,.0f |%n"
                + "| score / evaluation pass | %.2f | |%n"
                + "| score with SHAP / evaluation pass | %.2f | |%n"
                + "runs: evaluation %s, score %s, score+SHAP %s%n",
            n,
            cores,
            rounds,
            e,
            n / e / cores,
            s,
            n / s / cores,
            c,
            n / c / cores,
            s / e,
            c / e,
            evalPass,
            score,
            scoreShap);
    System.out.println(table);
    Files.writeString(Path.of("target", "bench-score.txt"), table);
  }
}

package dev.plumb.jobs;

import dev.plumb.features.FeatureSetVersion;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.spark.sql.SparkSession;

/**
 * Runs a job (one stage, or all of them in order) inside one tracked run. Stages hand each other
 * versions and paths on disk, never in-memory state, so each can also run alone.
 */
final class Pipeline {

  /** Everything a run produced, for the summary. */
  record Outcome(
      IngestStage.Result ingest,
      FeaturesStage.Result features,
      TrainStage.Result train,
      EvaluateStage.Result evaluate,
      String runUrl,
      double seconds) {}

  private Pipeline() {}

  static Outcome run(
      String job, SparkSession spark, PlumbConfig config, RunTracker tracker, Path resolvedConfig) {
    long start = System.nanoTime();
    Map<String, String> tags = new LinkedHashMap<>(Provenance.tags(spark));
    tags.put("plumb.job", job);
    tracker.start("plumb-" + job, tags);
    boolean ok = false;
    try {
      tracker.logParams(config.redacted());
      tracker.logArtifact(resolvedConfig, "config");
      boolean all = job.equals("pipeline") || job.equals("demo");
      IngestStage.Result ingest = null;
      FeaturesStage.Result features = null;
      TrainStage.Result train = null;
      EvaluateStage.Result evaluate = null;
      Map<String, Double> durations = new LinkedHashMap<>();
      if (all || job.equals("ingest")) {
        Log.Timed<IngestStage.Result> t =
            Log.timed("stage ingest", () -> IngestStage.run(spark, config, tracker));
        ingest = t.value();
        durations.put("stage.ingest.seconds", t.seconds());
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("ingest.rows_read", (double) ingest.rowsRead());
        m.put("ingest.rows_clean", (double) ingest.rowsClean());
        m.put("ingest.rows_quarantined", (double) ingest.rowsQuarantined());
        m.put("ingest.files_read", (double) ingest.filesRead());
        tracker.logMetrics(m, 0);
        tracker.setTags(
            Map.of(
                "plumb.data_fingerprint", ingest.fingerprint(),
                "plumb.contract_hash", ingest.contractHash()));
        tracker.logArtifact(ingest.report(), "ingest");
      }
      if (all || job.equals("features")) {
        Log.Timed<FeaturesStage.Result> t =
            Log.timed("stage features", () -> FeaturesStage.run(spark, config, tracker));
        features = t.value();
        durations.put("stage.features.seconds", t.seconds());
        tracker.setTags(
            Map.of(
                "plumb.feature_set_version", features.version().id(),
                "plumb.feature_set_built", String.valueOf(features.built()),
                "plumb.feature_code_version", FeatureSetVersion.CODE_VERSION));
        tracker.logArtifact(features.directory().resolve(FeaturesStage.MANIFEST), "features");
      }
      if (all || job.equals("train")) {
        Log.Timed<TrainStage.Result> t =
            Log.timed("stage train", () -> TrainStage.run(spark, config, tracker));
        train = t.value();
        durations.put("stage.train.seconds", t.seconds());
        train.model().history().forEach(tracker::logMetricHistory);
        tracker.logMetrics(
            Map.of(
                "train.best_iteration", (double) train.model().bestIteration(),
                "train.rounds_trained", (double) train.model().roundsTrained()),
            0);
        tracker.setTags(Map.of("plumb.feature_set_version", train.featureSetVersion()));
        // What XGBoost actually ran with (auto settings resolved by the preflight).
        Map<String, String> resolved = new LinkedHashMap<>();
        train.model().params().forEach((k, v) -> resolved.put("xgboost." + k, String.valueOf(v)));
        tracker.logParams(resolved);
        for (String f :
            new String[] {
              TrainStage.MODEL_FILE,
              TrainStage.MODEL_META,
              FeaturesStage.TRANSFORM,
              "MLmodel",
              dev.plumb.training.ModelFormat.JSON.fileName()
            }) {
          if (java.nio.file.Files.isRegularFile(train.modelDir().resolve(f))) {
            tracker.logArtifact(train.modelDir().resolve(f), "model");
          }
        }
      }
      if (all || job.equals("evaluate")) {
        Log.Timed<EvaluateStage.Result> t =
            Log.timed("stage evaluate", () -> EvaluateStage.run(spark, config, tracker));
        evaluate = t.value();
        durations.put("stage.evaluate.seconds", t.seconds());
        tracker.logMetrics(evaluate.trackedMetrics(), 0);
        tracker.setTags(
            Map.of(
                "plumb.evaluation_mode", evaluate.evaluation().mode().toString(),
                "plumb.gates_passed", String.valueOf(evaluate.evaluation().passed())));
        tracker.logArtifact(evaluate.report(), "evaluation");
        tracker.logArtifact(evaluate.html(), "evaluation");
        EvaluateStage.enforceGates(evaluate, config);
      }
      tracker.logMetrics(durations, 0);
      ok = true;
      return new Outcome(
          ingest, features, train, evaluate, tracker.runUrl(), (System.nanoTime() - start) / 1e9);
    } finally {
      try {
        tracker.finish(ok);
      } catch (RuntimeException e) {
        if (ok) {
          throw e;
        }
        Log.warn("could not mark the MLflow run FAILED: " + e.getMessage());
      }
    }
  }
}

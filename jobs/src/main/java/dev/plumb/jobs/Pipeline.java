package dev.plumb.jobs;

import static org.apache.spark.sql.functions.col;

import dev.plumb.evaluation.OperatingPoint;
import dev.plumb.features.FeatureSetSpec;
import dev.plumb.features.FeatureSetVersion;
import dev.plumb.features.FittedTransform;
import dev.plumb.features.ingest.ColumnSpec;
import dev.plumb.features.ingest.IngestRun;
import dev.plumb.features.io.Locations;
import dev.plumb.features.io.Log;
import dev.plumb.features.io.YamlDocs;
import dev.plumb.features.store.FeatureSetManifest;
import dev.plumb.features.store.FeatureStore;
import dev.plumb.jobs.tracking.MlflowModelFiles;
import dev.plumb.jobs.tracking.RunTracker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Runs a job (one stage, or all of them in order) inside one tracked run. Stages hand each other
 * versions and paths on disk, never in-memory state, so each can also run alone.
 */
final class Pipeline {

  /** Everything a run produced, for the summary. */
  record Outcome(
      IngestRun.Result ingest,
      FeaturesStage.Result features,
      TrainStage.Result train,
      EvaluateStage.Result evaluate,
      TuneStage.Result tune,
      String runUrl,
      double seconds) {}

  /** The MLflow model's artifact path in the run. */
  static final String MODEL_ARTIFACT = "model";

  /** The MLflow model folder Plumb writes inside each trained model's folder. */
  static final String MLFLOW_MODEL_DIR = "mlflow-model";

  private static final int EXAMPLE_ROWS = 5;

  private Pipeline() {}

  /**
   * Logs the trained model in MLflow's format (booster cut to its best iteration, signature, input
   * example from the test split) and registers it when {@code tracking.register_model} is set.
   */
  private static void logModel(
      SparkSession spark,
      PlumbConfig config,
      RunTracker tracker,
      TrainStage.Result train,
      String runId) {
    String setDir = FeaturesStage.resolve(config, train.featureSetVersion());
    FeatureStore store = FeaturesStage.featureStore(config);
    FeatureSetManifest manifest = store.manifest(setDir);
    FittedTransform transform = store.transform(train.modelDir());
    FeatureSetSpec spec = transform.spec();
    Dataset<Row> source =
        spark
            .read()
            .format("delta")
            .option("versionAsOf", manifest.sourceTableVersion())
            .load(manifest.sourceTable());
    Map<String, ColumnSpec> declared = new LinkedHashMap<>();
    IngestStage.contract(config).columns().forEach(c -> declared.put(c.name(), c));
    List<MlflowModelFiles.RawColumn> raw = new ArrayList<>();
    List<String> exampleColumns = new ArrayList<>();
    for (String c : spec.inputColumns()) {
      if (!List.of(source.columns()).contains(c)) {
        continue; // the label of a table built without one
      }
      String role =
          c.equals(spec.keyColumn())
              ? "key"
              : c.equals(spec.labelColumn())
                  ? "label"
                  : c.equals(spec.eventTime()) ? "event_time" : "feature";
      ColumnSpec d = declared.get(c);
      raw.add(
          new MlflowModelFiles.RawColumn(
              c,
              role,
              source.schema().apply(c).dataType().simpleString(),
              d == null ? null : d.type().toString(),
              d == null || d.nullable()));
      if (!role.equals("label")) {
        exampleColumns.add(c);
      }
    }
    List<List<Object>> example = new ArrayList<>();
    for (Row r :
        source
            .select(exampleColumns.stream().map(c -> col(c)).toArray(Column[]::new))
            .limit(EXAMPLE_ROWS)
            .collectAsList()) {
      List<Object> row = new ArrayList<>();
      for (int i = 0; i < r.size(); i++) {
        Object v = r.get(i);
        boolean plain = v == null || v instanceof Number || v instanceof Boolean;
        row.add(plain ? v : String.valueOf(v)); // dates and timestamps as ISO text
      }
      example.add(row);
    }
    List<MlflowModelFiles.RawColumn> ordered = new ArrayList<>();
    raw.stream().filter(c -> exampleColumns.contains(c.name())).forEach(ordered::add);
    raw.stream().filter(c -> !exampleColumns.contains(c.name())).forEach(ordered::add);
    String dir =
        MlflowModelFiles.writeModel(
            train.modelDir(),
            Locations.join(train.modelDir(), MLFLOW_MODEL_DIR),
            train.model().bestIteration() + 1,
            ordered,
            example,
            runId);
    tracker.logModel(dir, MODEL_ARTIFACT);
    String name = config.string("tracking.register_model");
    if (!name.isEmpty()) {
      String version = tracker.registerModel(MODEL_ARTIFACT, name, config.modelTags());
      if (!version.isEmpty()) {
        tracker.setTags(
            Map.of("plumb.registered_model", name, "plumb.registered_model_version", version));
      }
    }
  }

  /** {@code tracking.model_tags} as a map. */

  /** The raw input as MLflow sees it: where it was read from and its content fingerprint. */
  static RunTracker.DatasetInput inputDataset(PlumbConfig config, IngestRun.Result ingest) {
    String input = config.string("ingest.input");
    if (input.isEmpty()) {
      input = String.join(",", config.inputRoots());
    }
    boolean delta = config.string("ingest.format").equals("delta");
    Map<String, Object> source = new LinkedHashMap<>();
    source.put(delta ? "path" : "uri", input);
    Map<String, Object> profile = new LinkedHashMap<>();
    profile.put("fingerprint", ingest.fingerprint());
    profile.put("contract_hash", ingest.contractHash());
    profile.put("rows_read", ingest.rowsRead());
    profile.put("rows_clean", ingest.rowsClean());
    profile.put("rows_quarantined", ingest.rowsQuarantined());
    profile.put("files_read", ingest.filesRead());
    return new RunTracker.DatasetInput(
        "input",
        ingest.fingerprint(),
        delta ? "delta_table" : (Locations.hasScheme(input) ? Locations.scheme(input) : "local"),
        YamlDocs.toJson(source),
        "ingest",
        YamlDocs.toJson(profile));
  }

  /** The feature set the model trains on; its digest is the content-hashed version. */
  static RunTracker.DatasetInput featureSetDataset(PlumbConfig config, String version, String dir) {
    Map<String, Object> source = new LinkedHashMap<>();
    source.put("path", FeatureStore.data(dir));
    Map<String, Object> profile = new LinkedHashMap<>();
    profile.put("feature_set", config.string("features.name"));
    profile.put("version", version);
    return new RunTracker.DatasetInput(
        "feature-set " + config.string("features.name"),
        version,
        "delta_table",
        YamlDocs.toJson(source),
        "training",
        YamlDocs.toJson(profile));
  }

  /** The search's trials and choice in the parent run (each trial is a child run). */
  private static void logTune(RunTracker tracker, TuneStage.Result tune) {
    Map<String, String> params = new LinkedHashMap<>();
    tune.best().params().forEach((k, v) -> params.put("tune.best." + k, String.valueOf(v)));
    tracker.logParams(params);
    Map<String, Double> m = new LinkedHashMap<>();
    m.put("tune.trials", (double) tune.trials().size());
    for (TuneStage.State state : TuneStage.State.values()) {
      m.put(
          "tune.trials_" + state.toString().toLowerCase(java.util.Locale.ROOT),
          (double) tune.trials().stream().filter(t -> t.state() == state).count());
    }
    m.put("tune.best_trial", (double) tune.best().number());
    m.put("validation." + tune.metric(), tune.best().value());
    m.put("validation." + tune.metric() + ".defaults", tune.trials().get(0).value());
    tracker.logMetrics(m, 0);
    tracker.setTags(Map.of("plumb.tune.best_run_id", tune.best().runId()));
    tracker.logArtifact(tune.report(), "tune");
  }

  /** The evaluation's metrics, tags and reports; enforces the gates when configured. */
  private static void logEvaluate(
      PlumbConfig config, RunTracker tracker, EvaluateStage.Result evaluate) {
    tracker.logMetrics(evaluate.trackedMetrics(), 0);
    tracker.setTags(
        Map.of(
            "plumb.evaluation_mode", evaluate.evaluation().mode().toString(),
            "plumb.gates_passed", String.valueOf(evaluate.evaluation().passed())));
    tracker.logArtifact(evaluate.report(), "evaluation");
    tracker.logArtifact(evaluate.html(), "evaluation");
    EvaluateStage.enforceGates(evaluate, config);
  }

  /** The trained model's history, resolved params, tags, and the MLflow model. */
  private static void logTrain(
      SparkSession spark,
      PlumbConfig config,
      RunTracker tracker,
      TrainStage.Result train,
      boolean all,
      String runId) {
    train.model().history().forEach(tracker::logMetricHistory);
    tracker.logMetrics(
        Map.of(
            "train.best_iteration", (double) train.model().bestIteration(),
            "train.rounds_trained", (double) train.model().roundsTrained()),
        0);
    if (train.operatingPoint() != null) {
      OperatingPoint.Choice op = train.operatingPoint();
      tracker.logMetrics(
          Map.of(
              "operating_point.threshold", op.threshold(),
              "validation.precision_at_threshold", op.precision(),
              "validation.recall_at_threshold", op.recall(),
              "validation.f1_at_threshold", op.f1()),
          0);
      tracker.setTags(
          Map.of(
              "plumb.threshold_policy",
              op.policy().toString(),
              "plumb.threshold_reached",
              String.valueOf(op.reached())));
    }
    tracker.setTags(Map.of("plumb.feature_set_version", train.featureSetVersion()));
    // What XGBoost actually ran with (auto settings resolved by the preflight).
    Map<String, String> resolved = new LinkedHashMap<>();
    train.model().params().forEach((k, v) -> resolved.put("xgboost." + k, String.valueOf(v)));
    tracker.logParams(resolved);
    if (!all) {
      String setDir = FeaturesStage.resolve(config, train.featureSetVersion());
      tracker.logInputs(List.of(featureSetDataset(config, train.featureSetVersion(), setDir)));
    }
    Object device = train.model().params().get("device");
    tracker.setTags(
        Map.of("plumb.device", device == null ? config.string("train.device") : device.toString()));
    if (!runId.isEmpty()) {
      logModel(spark, config, tracker, train, runId);
    }
  }

  static Outcome run(
      String job,
      SparkSession spark,
      PlumbConfig config,
      RunTracker tracker,
      String resolvedConfig) {
    return run(job, spark, config, tracker, resolvedConfig, Map.of());
  }

  /** {@link #run} with more tags on the run (e.g. the run a reproduction re-executes). */
  static Outcome run(
      String job,
      SparkSession spark,
      PlumbConfig config,
      RunTracker tracker,
      String resolvedConfig,
      Map<String, String> extraTags) {
    long start = System.nanoTime();
    Map<String, String> tags = new LinkedHashMap<>(Provenance.tags(spark));
    tags.put("plumb.job", job);
    tags.putAll(extraTags);
    tracker.retryFor(Duration.ofSeconds(config.integer("tracking.retry_budget_seconds")));
    String runId = tracker.start("plumb-" + job, tags);
    boolean ok = false;
    try {
      tracker.logParams(config.redacted());
      tracker.logArtifact(resolvedConfig, "config");
      boolean all = job.equals("pipeline") || job.equals("demo");
      IngestRun.Result ingest = null;
      FeaturesStage.Result features = null;
      TrainStage.Result train = null;
      EvaluateStage.Result evaluate = null;
      Map<String, Double> durations = new LinkedHashMap<>();
      if (all || job.equals("ingest")) {
        Log.Timed<IngestRun.Result> t =
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
        tracker.logInputs(List.of(inputDataset(config, ingest)));
      }
      if (all || job.equals("features")) {
        Log.Timed<FeaturesStage.Result> t =
            Log.timed("stage features", () -> FeaturesStage.run(spark, config, tracker));
        features = t.value();
        durations.put("stage.features.seconds", t.seconds());
        features
            .timings()
            .forEach(
                (part, seconds) -> {
                  if (!part.equals("total")) {
                    durations.put("stage.features." + part + ".seconds", seconds);
                  }
                });
        tracker.logArtifact(FeaturesStage.reportPath(config), "features");
        tracker.setTags(
            Map.of(
                "plumb.feature_set_version", features.version().id(),
                "plumb.feature_set_built", String.valueOf(features.built()),
                "plumb.feature_code_version", FeatureSetVersion.CODE_VERSION));
        tracker.logArtifact(
            Locations.join(features.directory(), FeatureStore.MANIFEST), "features");
        tracker.logInputs(
            List.of(featureSetDataset(config, features.version().id(), features.directory())));
      }
      TuneStage.Result tune = null;
      if (job.equals("tune")) {
        Log.Timed<TuneStage.Result> t =
            Log.timed("stage tune", () -> TuneStage.run(spark, config, tracker));
        tune = t.value();
        durations.put("stage.tune.seconds", t.seconds());
        train = tune.model();
        logTune(tracker, tune);
        logTrain(spark, config, tracker, train, false, runId);
        evaluate = tune.evaluation();
        logEvaluate(config, tracker, evaluate);
      }
      if (all || job.equals("train")) {
        Log.Timed<TrainStage.Result> t =
            Log.timed("stage train", () -> TrainStage.run(spark, config, tracker));
        train = t.value();
        durations.put("stage.train.seconds", t.seconds());
        logTrain(spark, config, tracker, train, all, runId);
      }
      if (all || job.equals("evaluate")) {
        Log.Timed<EvaluateStage.Result> t =
            Log.timed("stage evaluate", () -> EvaluateStage.run(spark, config, tracker));
        evaluate = t.value();
        durations.put("stage.evaluate.seconds", t.seconds());
        logEvaluate(config, tracker, evaluate);
      }
      tracker.logMetrics(durations, 0);
      ok = true;
      return new Outcome(
          ingest,
          features,
          train,
          evaluate,
          tune,
          tracker.runUrl(),
          (System.nanoTime() - start) / 1e9);
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

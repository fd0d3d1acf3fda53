package dev.plumb.jobs;

import static org.apache.spark.sql.functions.col;

import dev.plumb.evaluation.BinaryMetrics;
import dev.plumb.evaluation.EvalErrors;
import dev.plumb.evaluation.EvalReport;
import dev.plumb.evaluation.EvalSpec;
import dev.plumb.evaluation.Evaluator;
import dev.plumb.evaluation.GateResult;
import dev.plumb.evaluation.HtmlReport;
import dev.plumb.evaluation.SampleStore;
import dev.plumb.evaluation.Scorer;
import dev.plumb.features.FittedTransform;
import dev.plumb.features.Splits;
import dev.plumb.features.io.JsonFiles;
import dev.plumb.features.io.Locations;
import dev.plumb.features.io.Log;
import dev.plumb.features.io.SparkSql;
import dev.plumb.features.io.Storages;
import dev.plumb.features.store.FeatureStore;
import dev.plumb.jobs.tracking.RunTracker;
import dev.plumb.training.ModelFiles;
import dev.plumb.training.ModelMetadata;
import dev.plumb.training.ModelStore;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;

/**
 * Evaluate: scores the feature set's test split once (cached) and evaluates it against the
 * evaluation spec ({@code evaluate.spec}; {@code evaluate.mode} picks fast or full): metrics,
 * curves, confidence intervals, calibration, slices, baselines, drift against the train split,
 * behavioural tests and gates. Writes {@code evaluation.json} and {@code evaluation.html} beside
 * the model.
 */
final class EvaluateStage {

  static final String REPORT = "evaluation.json";
  static final String HTML = "evaluation.html";

  /**
   * What evaluation measured.
   *
   * @param metrics the headline metrics (over the sample in fast mode)
   * @param report the JSON report
   * @param html the HTML report
   * @param evaluation everything measured, gates included
   */
  record Result(BinaryMetrics.Result metrics, String report, String html, EvalReport evaluation) {

    /** The flat metrics, with names MLflow accepts. */
    Map<String, Double> trackedMetrics() {
      Map<String, Double> out = new LinkedHashMap<>();
      evaluation
          .metrics()
          .forEach((k, v) -> out.put("test." + k.replaceAll("[^A-Za-z0-9_.\\- /]", "_"), v));
      return out;
    }
  }

  private EvaluateStage() {}

  static Result run(SparkSession spark, PlumbConfig config, RunTracker tracker) {
    ModelStore models = TrainStage.modelStore(config);
    String modelDir = models.resolve(config.string("evaluate.model"));
    return evaluate(spark, config, modelDir, null, modelDir);
  }

  /**
   * Evaluates the model in {@code modelDir} on its feature set's test split.
   *
   * @param scored the test split already scored by this model ({@link ModelFiles#SCORE}), to reuse
   *     one score pass; null to score it here
   * @param reportDir where {@code evaluation.json} and {@code evaluation.html} go
   */
  static Result evaluate(
      SparkSession spark,
      PlumbConfig config,
      String modelDir,
      Dataset<Row> scored,
      String reportDir) {
    EvalSpec spec = config.evalSpec();
    ModelStore models = new ModelStore(Storages.of(spark), Locations.parent(modelDir));
    ModelMetadata meta = models.metadata(modelDir);
    if (!config.thresholdPolicy().kind().equals("fixed")) {
      // The threshold chosen on validation at training; a model from before thresholds were
      // stored is evaluated at 0.5 and says so.
      double t = meta.threshold();
      if (Double.isNaN(t)) {
        Log.warn(
            "evaluate: the model at "
                + modelDir
                + " stores no operating threshold (trained by an older release): evaluating at 0.5;"
                + " retrain to choose one by "
                + config.thresholdPolicy());
        t = 0.5;
      }
      spec = spec.withThreshold(t);
    }
    String objective = meta.objective();
    if (!objective.isEmpty() && !"binary:logistic".equals(objective)) {
      throw new IllegalArgumentException(
          "Cannot evaluate the model in "
              + modelDir
              + ": its objective is "
              + objective
              + " and evaluation covers binary:logistic models (its metrics, curves and gates are"
              + " binary); the model and its per-round validation history are kept in that"
              + " folder");
    }
    List<String> featureNames = meta.featureNames();
    String label = meta.label();
    byte[] booster = models.booster(modelDir);
    String featureVersion = meta.featureSetVersion();
    String featureDir = FeaturesStage.resolve(config, featureVersion);
    int iterations = meta.iterationEnd();
    Scorer scorer = rows -> ModelFiles.score(booster, featureNames, rows, iterations);
    // A feature set's table (one commit) is read from its log, with no Spark job of Delta's.
    String data = FeatureStore.data(featureDir);
    List<Dataset<Row>> splits =
        SparkSql.scanSingleCommit(spark, data, Splits.COLUMN, List.of(Splits.TEST, Splits.TRAIN));
    if (splits == null) {
      Dataset<Row> table = spark.read().format("delta").load(data);
      splits =
          List.of(
              table.filter(col(Splits.COLUMN).equalTo(Splits.TEST)),
              table.filter(col(Splits.COLUMN).equalTo(Splits.TRAIN)));
    }
    Dataset<Row> test = splits.get(0);
    Dataset<Row> train = splits.get(1);
    Map<String, Dataset<Row>> extra = new LinkedHashMap<>();
    String driftInput = config.string("evaluate.drift_input");
    if (!driftInput.isEmpty()) {
      extra.put("drift_input", read(spark, Locations.qualify(driftInput)));
    }
    // Full mode scores the split once and every metric reuses the cached scores; fast mode is given
    // the unscored split and scores only its sample.
    Dataset<Row> predictions =
        scored != null
            ? scored
            : spec.mode() == EvalSpec.Mode.FAST
                ? test
                : scorer.score(test).persist(StorageLevel.MEMORY_AND_DISK());
    try {
      Evaluator.Input input =
          new Evaluator.Input(
              predictions,
              label,
              ModelFiles.SCORE,
              config.string("features.key"),
              featureNames,
              scorer,
              train,
              extra,
              sliceValueNames(
                  FeaturesStage.featureStore(config).transform(featureDir),
                  spec.slices().columns()),
              TrainingReference.read(Storages.of(spark), modelDir));
      EvalReport report =
          spec.mode() == EvalSpec.Mode.FAST
              ? new SampleStore(
                      Storages.of(spark), Locations.join(config.workDir(), SampleStore.FOLDER))
                  .fast(
                      spark,
                      config.string("features.name"),
                      featureVersion,
                      input,
                      spec,
                      FeaturesStage.splitRows(config, featureDir, Splits.TEST))
              : Evaluator.evaluate(input, spec);
      Map<String, Object> json = new LinkedHashMap<>();
      json.put("model", modelDir);
      json.put("feature_set_version", meta.featureSetVersion());
      json.put("split", Splits.TEST);
      Map<String, Object> op = new LinkedHashMap<>(meta.operatingPoint());
      op.put("threshold", spec.threshold());
      op.putIfAbsent("policy", config.thresholdPolicy().toString());
      op.putIfAbsent("split", "none (a fixed number)");
      json.put("operating_point", op);
      json.putAll(report.toJson());
      String reportPath = Locations.join(reportDir, REPORT);
      JsonFiles.write(reportPath, json);
      String htmlPath = Locations.join(reportDir, HTML);
      JsonFiles.writeText(
          htmlPath,
          HtmlReport.render(
              report,
              "Plumb evaluation: "
                  + Locations.name(modelDir)
                  + " ("
                  + Splits.TEST
                  + "; threshold "
                  + String.format("%.4f", spec.threshold())
                  + " by "
                  + op.get("policy")
                  + " on "
                  + op.get("split")
                  + ")"));
      BinaryMetrics.Result metrics = report.headline();
      Log.info(
          String.format(
              "evaluate (%s): %,d rows, ROC-AUC %.4f, AP %.4f, log loss %.4f; gates %s",
              report.mode(),
              metrics.count(),
              metrics.rocAuc(),
              metrics.averagePrecision(),
              metrics.logLoss(),
              report.gates().isEmpty()
                  ? "none"
                  : report.passed() ? "passed" : "FAILED " + report.failedGates()));
      return new Result(metrics, reportPath, htmlPath, report);
    } finally {
      if (scored == null) {
        predictions.unpersist();
      }
    }
  }

  /** The name of a category index that stands for an unseen value or null. */
  static final String UNSEEN_OR_NULL = "__unseen_or_null";

  /**
   * Slice values by name: for each slice column that is an index-encoded category of the fitted
   * transform, index i is the i-th level seen in training (the raw value, e.g. {@code DE}), and the
   * index after the last stands for an unseen value or null.
   */
  static Map<String, Map<String, String>> sliceValueNames(
      FittedTransform transform, List<String> sliceColumns) {
    Map<String, Map<String, String>> out = new LinkedHashMap<>();
    for (String column : sliceColumns) {
      Map<String, Object> state = transform.state().get(column);
      if (state == null || !(state.get("levels") instanceof List<?> levels)) {
        continue;
      }
      Map<String, String> names = new LinkedHashMap<>();
      for (int i = 0; i < levels.size(); i++) {
        names.put(String.valueOf(i), String.valueOf(levels.get(i)));
      }
      names.put(String.valueOf(levels.size()), UNSEEN_OR_NULL);
      out.put(column, names);
    }
    return out;
  }

  /** Throws on the first failed gate when {@code evaluate.fail_on_gate} is set. */
  static void enforceGates(Result result, PlumbConfig config) {
    if (!config.flag("evaluate.fail_on_gate")) {
      return;
    }
    for (GateResult g : result.evaluation().gates()) {
      if (!g.passed()) {
        throw EvalErrors.gateFailed(g);
      }
    }
  }

  private static Dataset<Row> read(SparkSession spark, String path) {
    boolean delta = Storages.of(spark).isDirectory(Locations.join(path, "_delta_log"));
    return spark.read().format(delta ? "delta" : "parquet").load(path);
  }
}

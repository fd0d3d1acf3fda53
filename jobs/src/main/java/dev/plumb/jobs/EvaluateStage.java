package dev.plumb.jobs;

import static org.apache.spark.sql.functions.col;

import dev.plumb.evaluation.BinaryMetrics;
import dev.plumb.evaluation.EvalErrors;
import dev.plumb.evaluation.EvalReport;
import dev.plumb.evaluation.EvalSpec;
import dev.plumb.evaluation.Evaluator;
import dev.plumb.evaluation.GateResult;
import dev.plumb.evaluation.HtmlReport;
import dev.plumb.evaluation.Scorer;
import dev.plumb.evaluation.StratifiedSample;
import dev.plumb.features.DataFingerprint;
import dev.plumb.features.Splits;
import dev.plumb.features.io.Locations;
import dev.plumb.features.io.Storage;
import dev.plumb.training.ModelFiles;
import dev.plumb.training.ModelMetadata;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
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

  /** The spec {@code evaluate.spec} names (defaults when empty), in {@code evaluate.mode}. */
  static EvalSpec spec(PlumbConfig config) {
    String file = config.string("evaluate.spec");
    EvalSpec spec =
        file.isEmpty()
            ? EvalSpec.defaults()
            : EvalSpecLoader.load(
                Storages.forConfig(config), resolveSpec(config, file, Storages.forConfig(config)));
    String mode = config.string("evaluate.mode");
    if (!mode.isEmpty()) {
      spec = spec.withMode(EvalSpec.Mode.parse(mode));
    }
    return spec.withThreshold(config.number("evaluate.threshold"));
  }

  /**
   * A relative spec path is read from the working directory, or else from the folder that holds the
   * config file's {@code conf/} folder (so {@code conf/eval/demo.yaml} in {@code conf/local.yaml}
   * works from any directory).
   */
  static String resolveSpec(PlumbConfig config, String file, Storage storage) {
    String p = Locations.qualify(file);
    if (Locations.hasScheme(file)
        || file.startsWith("/")
        || config.source().equals("defaults")
        || storage.exists(p)) {
      return p;
    }
    String grandParent = Locations.parent(Locations.parent(config.source()));
    if (!grandParent.isEmpty()) {
      String candidate = Locations.resolve(grandParent, file);
      if (storage.exists(candidate)) {
        return candidate;
      }
    }
    return p;
  }

  @SuppressWarnings("unchecked")
  static Result run(SparkSession spark, PlumbConfig config, RunTracker tracker) {
    EvalSpec spec = spec(config);
    String modelDir = TrainStage.resolve(config, config.string("evaluate.model"));
    ModelMetadata meta = TrainStage.metadata(modelDir);
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
    byte[] booster = TrainStage.loadBooster(modelDir);
    String featureVersion = meta.featureSetVersion();
    String featureDir = FeaturesStage.resolve(config, featureVersion);
    int iterations = meta.iterationEnd();
    Scorer scorer = rows -> ModelFiles.score(booster, featureNames, rows, iterations);
    Dataset<Row> table =
        spark.read().format("delta").load(Locations.join(featureDir, FeaturesStage.DATA));
    Dataset<Row> test = table.filter(col(Splits.COLUMN).equalTo(Splits.TEST));
    Dataset<Row> train = table.filter(col(Splits.COLUMN).equalTo(Splits.TRAIN));
    Map<String, Dataset<Row>> extra = new LinkedHashMap<>();
    String driftInput = config.string("evaluate.drift_input");
    if (!driftInput.isEmpty()) {
      extra.put("drift_input", read(spark, Locations.qualify(driftInput)));
    }
    // Full mode scores the split once and every metric reuses the cached scores; fast mode is given
    // the unscored split and scores only its sample.
    Dataset<Row> predictions =
        spec.mode() == EvalSpec.Mode.FAST
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
              extra);
      EvalReport report =
          spec.mode() == EvalSpec.Mode.FAST
              ? fastOnStoredSample(spark, sampleStore(config, featureVersion), input, spec)
              : Evaluator.evaluate(input, spec);
      Map<String, Object> json = new LinkedHashMap<>();
      json.put("model", modelDir);
      json.put("feature_set_version", meta.featureSetVersion());
      json.put("split", Splits.TEST);
      json.putAll(report.toJson());
      String reportPath = Locations.join(modelDir, REPORT);
      JsonFiles.write(reportPath, json);
      String htmlPath = Locations.join(modelDir, HTML);
      JsonFiles.writeText(
          htmlPath,
          HtmlReport.render(
              report, "Plumb evaluation: " + Locations.name(modelDir) + " (" + Splits.TEST + ")"));
      BinaryMetrics.Result metrics = report.headline();
      Log.info(
          String.format(
              "evaluate (%s): %,d rows, ROC-AUC %.4f, PR-AUC %.4f, log loss %.4f; gates %s",
              report.mode(),
              metrics.count(),
              metrics.rocAuc(),
              metrics.prAuc(),
              metrics.logLoss(),
              report.gates().isEmpty()
                  ? "none"
                  : report.passed() ? "passed" : "FAILED " + report.failedGates()));
      return new Result(metrics, reportPath, htmlPath, report);
    } finally {
      predictions.unpersist();
    }
  }

  static final String SAMPLES = "eval-samples";

  /**
   * Where fast-mode samples of a feature-set version live: with the evaluation's own outputs
   * ({@code <work_dir>/eval-samples/<feature set>/<version>/}), never inside the immutable feature
   * set.
   */
  static String sampleStore(PlumbConfig config, String featureSetVersion) {
    return Locations.join(
        config.workDir(),
        SAMPLES,
        Locations.checkSegment(config.string("features.name"), "the feature set name"),
        Locations.checkSegment(featureSetVersion, "the feature set version"));
  }

  static final String SAMPLE_META = "sample.json";

  /**
   * Fast mode on the deterministic sample of the test split, drawn once per feature-set version and
   * sample spec and stored with the evaluation outputs ({@code
   * <work_dir>/eval-samples/<set>/<version>/<id>/}: the sampled rows as a Delta table, then {@code
   * sample.json}, written last): the feature set is immutable, so the same sample is valid for
   * every later fast evaluation, which then reads ~the sample's rows instead of scanning the whole
   * split twice.
   */
  static EvalReport fastOnStoredSample(
      SparkSession spark, String sampleStore, Evaluator.Input input, EvalSpec spec) {
    String id =
        DataFingerprint.sha256(input.label() + "|" + input.key() + "|" + spec.sample().toString())
            .substring(0, 16);
    String dir = Locations.join(sampleStore, id);
    String meta = Locations.join(dir, SAMPLE_META);
    String rows = Locations.join(dir, "rows");
    if (Storages.of(spark).isFile(meta)) {
      Map<String, Object> m = JsonFiles.read(meta, "the stored fast-mode sample", "evaluate");
      Log.info("evaluate (fast): the sample " + id + " is reused from " + sampleStore);
      return Evaluator.evaluateSample(
          input,
          spark.read().format("delta").load(rows),
          spec,
          longs(m.get("strata_sizes")),
          longs(m.get("sample_sizes")));
    }
    try (StratifiedSample.Result s =
        StratifiedSample.draw(input.predictions(), input.label(), input.key(), spec.sample())) {
      s.rows().write().format("delta").mode("overwrite").save(rows);
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("sample", spec.sample().toString());
      m.put("label", input.label());
      m.put("key", input.key());
      m.put("strata_sizes", s.strataSizes());
      m.put("sample_sizes", s.sampleSizes());
      JsonFiles.write(meta, m);
      Log.info("evaluate (fast): drew the sample " + id + " and stored it in " + sampleStore);
      return Evaluator.evaluateSample(
          input, spark.read().format("delta").load(rows), spec, s.strataSizes(), s.sampleSizes());
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Long> longs(Object value) {
    Map<String, Long> out = new TreeMap<>();
    ((Map<String, Object>) value).forEach((k, v) -> out.put(k, ((Number) v).longValue()));
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

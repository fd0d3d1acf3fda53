package dev.plumb.training;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What to train and how. Each value is validated on construction; the rules that depend on the
 * cluster (workers vs task slots, threads vs task cpus, cuda vs GPUs) are checked by {@link
 * Preflight}, which also resolves the {@code auto} settings. Both run before any Spark job.
 *
 * @param objective XGBoost objective, e.g. {@code binary:logistic}
 * @param evalMetric metric tracked per round and used for early stopping, e.g. {@code logloss}
 * @param numRound maximum boosting rounds
 * @param maxDepth maximum tree depth
 * @param eta learning rate
 * @param numWorkers XGBoost workers (Spark barrier tasks); 0 = auto, the cluster's task slots
 * @param nthread threads per worker, at most {@code spark.task.cpus}; 0 = {@code spark.task.cpus}
 * @param earlyStoppingRounds rounds without validation improvement before stopping; 0 disables
 * @param seed random seed
 * @param device {@code cpu}, {@code cuda} or {@code auto} (cuda when executors have GPUs)
 * @param scalePosWeight weight of positive examples, or auto (negatives / positives)
 * @param modelFormat how the booster file is written
 * @param trackerTimeoutSeconds how long XGBoost's tracker waits for all workers to connect (s)
 */
public record TrainingSpec(
    String objective,
    String evalMetric,
    int numRound,
    int maxDepth,
    double eta,
    int numWorkers,
    int nthread,
    int earlyStoppingRounds,
    long seed,
    String device,
    ScalePosWeight scalePosWeight,
    ModelFormat modelFormat,
    int trackerTimeoutSeconds,
    Map<String, Object> params) {

  /** The objectives this release trains, each with the metrics early stopping can follow. */
  public static final Map<String, List<String>> METRICS_BY_OBJECTIVE =
      Map.of(
          "binary:logistic", List.of("logloss", "auc", "aucpr", "error"),
          "reg:squarederror", List.of("rmse", "mae"),
          "reg:absoluteerror", List.of("mae", "rmse"),
          "multi:softprob", List.of("mlogloss", "merror"));

  /** The objectives this release trains. */
  public static final List<String> OBJECTIVES =
      List.of("binary:logistic", "reg:squarederror", "reg:absoluteerror", "multi:softprob");

  /** The evaluation metrics early stopping can follow for the binary objective. */
  public static final List<String> EVAL_METRICS = METRICS_BY_OBJECTIVE.get("binary:logistic");

  /** What kind of model an objective trains. */
  public enum Task {
    BINARY,
    REGRESSION,
    MULTICLASS
  }

  /** The devices a spec may name. */
  public static final List<String> DEVICES = List.of("cpu", "cuda", "auto");

  /** {@code num_workers} or {@code nthread}: take it from the cluster. */
  public static final int AUTO = 0;

  /** Default seconds XGBoost's tracker waits for its workers. */
  public static final int DEFAULT_TRACKER_TIMEOUT_SECONDS = 60;

  public TrainingSpec {
    require(OBJECTIVES.contains(objective), "objective", objective, "one of " + OBJECTIVES);
    List<String> metrics = METRICS_BY_OBJECTIVE.get(objective);
    require(
        metrics.contains(evalMetric),
        "eval_metric",
        evalMetric,
        "one of " + metrics + " for " + objective);
    require(numRound >= 1, "num_round", numRound, "an integer >= 1");
    require(maxDepth >= 1, "max_depth", maxDepth, "an integer >= 1");
    require(eta > 0 && eta <= 1, "eta", eta, "a number in (0, 1]");
    require(numWorkers >= 0, "num_workers", numWorkers, "an integer >= 1, or 0 for auto");
    require(nthread >= 0, "nthread", nthread, "an integer >= 1, or 0 for spark.task.cpus");
    require(earlyStoppingRounds >= 0, "early_stopping_rounds", earlyStoppingRounds, ">= 0");
    require(DEVICES.contains(device), "device", device, "one of " + DEVICES);
    require(
        trackerTimeoutSeconds >= 1,
        "tracker_timeout_seconds",
        trackerTimeoutSeconds,
        "an integer >= 1");
    if (scalePosWeight == null) {
      scalePosWeight = ScalePosWeight.NONE;
    }
    require(
        scalePosWeight.equals(ScalePosWeight.NONE) || objective.equals("binary:logistic"),
        "scale_pos_weight",
        scalePosWeight.auto() ? "auto" : scalePosWeight.value(),
        "1 (unset): it weighs the positive class of binary:logistic only, and the objective is "
            + objective);
    if (modelFormat == null) {
      modelFormat = ModelFormat.UBJ;
    }
    params =
        params == null
            ? Map.of()
            : java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(params));
  }

  /** A spec without pass-through parameters ({@code train.params.*}). */
  public TrainingSpec(
      String objective,
      String evalMetric,
      int numRound,
      int maxDepth,
      double eta,
      int numWorkers,
      int nthread,
      int earlyStoppingRounds,
      long seed,
      String device,
      ScalePosWeight scalePosWeight,
      ModelFormat modelFormat,
      int trackerTimeoutSeconds) {
    this(
        objective,
        evalMetric,
        numRound,
        maxDepth,
        eta,
        numWorkers,
        nthread,
        earlyStoppingRounds,
        seed,
        device,
        scalePosWeight,
        modelFormat,
        trackerTimeoutSeconds,
        Map.of());
  }

  /** This spec with XGBoost pass-through parameters checked by {@link XGBoostPassThrough}. */
  public TrainingSpec withParams(Map<String, Object> checked) {
    return new TrainingSpec(
        objective,
        evalMetric,
        numRound,
        maxDepth,
        eta,
        numWorkers,
        nthread,
        earlyStoppingRounds,
        seed,
        device,
        scalePosWeight,
        modelFormat,
        trackerTimeoutSeconds,
        checked);
  }

  /** A spec with the defaults for the settings not named: no reweighting, UBJ files. */
  public TrainingSpec(
      String objective,
      String evalMetric,
      int numRound,
      int maxDepth,
      double eta,
      int numWorkers,
      int nthread,
      int earlyStoppingRounds,
      long seed,
      String device) {
    this(
        objective,
        evalMetric,
        numRound,
        maxDepth,
        eta,
        numWorkers,
        nthread,
        earlyStoppingRounds,
        seed,
        device,
        ScalePosWeight.NONE,
        ModelFormat.UBJ,
        DEFAULT_TRACKER_TIMEOUT_SECONDS);
  }

  private static void require(boolean ok, String key, Object value, String expected) {
    if (!ok) {
      throw TrainingErrors.invalidSetting(key, value, expected);
    }
  }

  /** This spec with another {@code scale_pos_weight}. */
  public TrainingSpec withScalePosWeight(ScalePosWeight weight) {
    return new TrainingSpec(
        objective,
        evalMetric,
        numRound,
        maxDepth,
        eta,
        numWorkers,
        nthread,
        earlyStoppingRounds,
        seed,
        device,
        weight,
        modelFormat,
        trackerTimeoutSeconds,
        params);
  }

  /** This spec with workers, threads and device fixed (what {@link Preflight} returns). */
  TrainingSpec resolved(int workers, int threads, String resolvedDevice) {
    return new TrainingSpec(
        objective,
        evalMetric,
        numRound,
        maxDepth,
        eta,
        workers,
        threads,
        earlyStoppingRounds,
        seed,
        resolvedDevice,
        scalePosWeight,
        modelFormat,
        trackerTimeoutSeconds,
        params);
  }

  /** What kind of model the objective trains. */
  public Task task() {
    return objective.startsWith("binary:")
        ? Task.BINARY
        : objective.startsWith("multi:") ? Task.MULTICLASS : Task.REGRESSION;
  }

  /** Whether workers, threads and device are all concrete (no {@code auto} left). */
  public boolean isResolved() {
    return numWorkers >= 1 && nthread >= 1 && !device.equals("auto");
  }

  /** The XGBoost parameters as they are passed to XGBoost, for tracking. */
  public Map<String, Object> xgboostParams() {
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("objective", objective);
    p.put("eval_metric", evalMetric);
    p.put("num_round", numRound);
    p.put("max_depth", maxDepth);
    p.put("eta", eta);
    p.put("num_workers", numWorkers == AUTO ? "auto" : numWorkers);
    p.put("nthread", nthread == AUTO ? "auto" : nthread);
    p.put("num_early_stopping_rounds", earlyStoppingRounds);
    p.put("seed", seed);
    p.put("device", device);
    p.put("scale_pos_weight", scalePosWeight.auto() ? "auto" : scalePosWeight.value());
    p.put("tree_method", "hist");
    p.put("missing", "NaN");
    p.putAll(XGBoostPassThrough.asText(params));
    return p;
  }
}

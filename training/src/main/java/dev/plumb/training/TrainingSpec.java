package dev.plumb.training;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What to train and how. Validated on construction, before any Spark job runs.
 *
 * @param objective XGBoost objective, e.g. {@code binary:logistic}
 * @param evalMetric metric tracked per round and used for early stopping, e.g. {@code logloss}
 * @param numRound maximum boosting rounds
 * @param maxDepth maximum tree depth
 * @param eta learning rate
 * @param numWorkers XGBoost workers (Spark barrier tasks)
 * @param nthread threads per worker (at most {@code spark.task.cpus})
 * @param earlyStoppingRounds rounds without validation improvement before stopping; 0 disables
 * @param seed random seed
 * @param device {@code cpu}, {@code cuda} or {@code auto}
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
    String device) {

  /** The objectives this release trains. */
  public static final List<String> OBJECTIVES = List.of("binary:logistic");

  /** The devices a spec may name. */
  public static final List<String> DEVICES = List.of("cpu", "cuda", "auto");

  public TrainingSpec {
    require(OBJECTIVES.contains(objective), "objective", objective, "one of " + OBJECTIVES);
    require(numRound >= 1, "num_round", numRound, "an integer >= 1");
    require(maxDepth >= 1, "max_depth", maxDepth, "an integer >= 1");
    require(eta > 0 && eta <= 1, "eta", eta, "a number in (0, 1]");
    require(numWorkers >= 1, "num_workers", numWorkers, "an integer >= 1");
    require(nthread >= 1, "nthread", nthread, "an integer >= 1");
    require(earlyStoppingRounds >= 0, "early_stopping_rounds", earlyStoppingRounds, ">= 0");
    require(DEVICES.contains(device), "device", device, "one of " + DEVICES);
  }

  private static void require(boolean ok, String key, Object value, String expected) {
    if (!ok) {
      throw new IllegalArgumentException(
          "Cannot configure training: train."
              + key
              + " = "
              + value
              + " is invalid (use "
              + expected
              + ")");
    }
  }

  /** The XGBoost parameters as they are passed to XGBoost, for tracking. */
  public Map<String, Object> xgboostParams() {
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("objective", objective);
    p.put("eval_metric", evalMetric);
    p.put("num_round", numRound);
    p.put("max_depth", maxDepth);
    p.put("eta", eta);
    p.put("num_workers", numWorkers);
    p.put("nthread", nthread);
    p.put("num_early_stopping_rounds", earlyStoppingRounds);
    p.put("seed", seed);
    p.put("device", device);
    p.put("tree_method", "hist");
    p.put("missing", "NaN");
    return p;
  }
}

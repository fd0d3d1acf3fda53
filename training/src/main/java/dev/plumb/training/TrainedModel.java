package dev.plumb.training;

import java.util.List;
import java.util.Map;

/**
 * A trained booster and what is needed to use it.
 *
 * @param booster the native booster in UBJ form (XGBoost's portable binary JSON), with the feature
 *     names and the {@code best_iteration} attribute stored inside
 * @param featureNames the feature columns, in the order the booster expects them
 * @param bestIteration the best round on the validation split (0-based), or the last round when
 *     early stopping is off; predictions use trees {@code [0, bestIteration + 1)}
 * @param roundsTrained rounds actually trained
 * @param history per-round metrics, e.g. {@code train-logloss} and {@code validation-logloss}
 * @param params the XGBoost parameters as trained: workers, threads, device and {@code
 *     scale_pos_weight} resolved
 */
public record TrainedModel(
    byte[] booster,
    List<String> featureNames,
    int bestIteration,
    int roundsTrained,
    Map<String, float[]> history,
    Map<String, Object> params) {

  public TrainedModel {
    featureNames = List.copyOf(featureNames);
    history = Map.copyOf(history);
    params = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(params));
  }

  /** The rounds used for prediction: {@code bestIteration + 1}. */
  public int iterationEnd() {
    return bestIteration + 1;
  }
}

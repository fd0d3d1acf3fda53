package dev.plumb.training;

import java.util.List;
import java.util.Map;

/**
 * A trained booster and what is needed to use it.
 *
 * @param booster the native booster in UBJ form (XGBoost's portable binary JSON)
 * @param featureNames the feature columns, in the order the booster expects them
 * @param bestIteration the best round on the validation split (0-based), or the last round when
 *     early stopping is off
 * @param roundsTrained rounds actually trained
 * @param history per-round metrics, e.g. {@code train-logloss} and {@code validation-logloss}
 */
public record TrainedModel(
    byte[] booster,
    List<String> featureNames,
    int bestIteration,
    int roundsTrained,
    Map<String, float[]> history) {

  public TrainedModel {
    featureNames = List.copyOf(featureNames);
    history = Map.copyOf(history);
  }
}

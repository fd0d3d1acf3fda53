package dev.plumb.training;

import dev.plumb.features.io.HandOffs;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a trained model's folder says about it ({@code model.json}): the booster file and format,
 * the feature names in model order, the label, the best iteration, the feature-set version it was
 * trained on, the resolved XGBoost parameters and the per-round history.
 */
public record ModelMetadata(
    String modelFile,
    String format,
    String jsonModelFile,
    List<String> featureNames,
    String label,
    int bestIteration,
    int roundsTrained,
    String featureSetVersion,
    Map<String, Object> xgboostParams,
    Map<String, List<Double>> history,
    Map<String, Object> operatingPoint) {

  /**
   * The JSON format written; readers accept this one and the earlier ones (format 1 had no
   * operating point: its models are evaluated at the configured number, or 0.5).
   */
  public static final int FORMAT_VERSION = 2;

  public ModelMetadata {
    featureNames = List.copyOf(featureNames);
    xgboostParams = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(xgboostParams));
    history = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(history));
    operatingPoint =
        java.util.Collections.unmodifiableMap(
            new LinkedHashMap<>(operatingPoint == null ? Map.of() : operatingPoint));
  }

  /**
   * The decision threshold chosen on the validation split when the model was trained (see {@code
   * evaluate.threshold}), or NaN when none was stored.
   */
  public double threshold() {
    Object t = operatingPoint.get("threshold");
    return t instanceof Number n ? n.doubleValue() : Double.NaN;
  }

  /** This metadata with the operating point chosen on the validation split. */
  public ModelMetadata withOperatingPoint(Map<String, Object> point) {
    return new ModelMetadata(
        modelFile,
        format,
        jsonModelFile,
        featureNames,
        label,
        bestIteration,
        roundsTrained,
        featureSetVersion,
        xgboostParams,
        history,
        point);
  }

  /** The metadata of a freshly trained model. */
  public static ModelMetadata of(
      TrainedModel model, String label, String featureSetVersion, ModelFormat format) {
    Map<String, List<Double>> history = new LinkedHashMap<>();
    model
        .history()
        .forEach(
            (k, v) -> {
              List<Double> values = new java.util.ArrayList<>(v.length);
              for (float f : v) {
                values.add(Double.parseDouble(Float.toString(f)));
              }
              history.put(k, values);
            });
    return new ModelMetadata(
        "model.ubj",
        "ubj",
        format == ModelFormat.JSON ? ModelFormat.JSON.fileName() : "",
        model.featureNames(),
        label,
        model.bestIteration(),
        model.roundsTrained(),
        featureSetVersion,
        model.params(),
        history,
        Map.of());
  }

  /** The objective the model was trained with, or "" when not recorded. */
  public String objective() {
    Object o = xgboostParams.get("objective");
    return o == null ? "" : o.toString();
  }

  /** The boosting rounds to score with: the best iteration + 1. */
  public int iterationEnd() {
    return bestIteration + 1;
  }

  public Map<String, Object> toJson() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("format_version", FORMAT_VERSION);
    m.put("model_file", modelFile);
    m.put("format", format);
    if (!jsonModelFile.isEmpty()) {
      m.put("json_model_file", jsonModelFile);
    }
    m.put("feature_names", featureNames);
    m.put("label", label);
    m.put("best_iteration", bestIteration);
    m.put("rounds_trained", roundsTrained);
    m.put("feature_set_version", featureSetVersion);
    m.put("xgboost_params", xgboostParams);
    m.put("history", history);
    if (!operatingPoint.isEmpty()) {
      m.put("operating_point", operatingPoint);
    }
    return m;
  }

  /** Reads the JSON form written by any release so far. */
  public static ModelMetadata fromJson(Map<String, Object> json, String location) {
    HandOffs h =
        HandOffs.of(
            json, "the model metadata", location, "retrain with './plumb train'", FORMAT_VERSION);
    Map<String, List<Double>> history = new LinkedHashMap<>();
    h.mapOr("history")
        .forEach(
            (k, v) -> {
              if (!(v instanceof List<?> l)) {
                throw h.error("field 'history." + k + "' must be a list");
              }
              history.put(k, l.stream().map(x -> ((Number) x).doubleValue()).toList());
            });
    return new ModelMetadata(
        h.stringOr("model_file", "model.ubj"),
        h.stringOr("format", "ubj"),
        h.stringOr("json_model_file", ""),
        h.strings("feature_names"),
        h.string("label"),
        h.integer("best_iteration"),
        json.get("rounds_trained") == null
            ? h.integer("best_iteration") + 1
            : h.integer("rounds_trained"),
        h.string("feature_set_version"),
        h.mapOr("xgboost_params"),
        history,
        h.mapOr("operating_point"));
  }
}

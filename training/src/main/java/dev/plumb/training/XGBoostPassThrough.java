package dev.plumb.training;

import dev.plumb.features.io.Names;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import ml.dmlc.xgboost4j.scala.spark.XGBoostClassifier;
import org.apache.spark.ml.param.BooleanParam;
import org.apache.spark.ml.param.DoubleArrayParam;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.FloatParam;
import org.apache.spark.ml.param.IntArrayParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.Params;
import org.apache.spark.ml.param.StringArrayParam;

/**
 * Every other XGBoost parameter ({@code train.params.<name>}), passed through to XGBoost4J-Spark
 * and checked against the parameters the XGBoost version on the classpath declares: an unknown
 * name, a value of the wrong type or out of XGBoost's range fails when the config loads, before
 * Spark starts. Monotone and interaction constraints are given by feature name and turned into
 * XGBoost's positional form when the feature order is known (at training).
 */
public final class XGBoostPassThrough {

  /** Config prefix of the pass-through. */
  public static final String PREFIX = "train.params.";

  /**
   * Parameters Plumb sets from its own keys or by design; naming them here would be ignored or
   * contradict the key, so it fails and names the key to use.
   */
  static final Map<String, String> OWNED =
      Map.ofEntries(
          Map.entry("objective", "train.objective"),
          Map.entry("eval_metric", "train.eval_metric"),
          Map.entry("num_round", "train.num_round"),
          Map.entry("max_depth", "train.max_depth"),
          Map.entry("eta", "train.eta"),
          Map.entry("num_workers", "train.num_workers"),
          Map.entry("nthread", "train.nthread"),
          Map.entry("seed", "train.seed"),
          Map.entry("device", "train.device"),
          Map.entry("scale_pos_weight", "train.scale_pos_weight"),
          Map.entry("num_early_stopping_rounds", "train.early_stopping_rounds"),
          Map.entry("missing", "nothing: Plumb reads null and NaN as missing"),
          Map.entry("tree_method", "nothing: Plumb trains with hist (train.device picks CPU/GPU)"),
          Map.entry("features_col", "the feature set spec"),
          Map.entry("features_name", "the feature set spec"),
          Map.entry("label_col", "features.label"),
          Map.entry("rabit_tracker_timeout", "train.tracker_timeout_seconds"),
          Map.entry("verbosity", "nothing: Plumb logs training itself"));

  /** The common ones, for {@code ./plumb keys}. */
  public static final List<String> COMMON =
      List.of(
          "subsample",
          "colsample_bytree",
          "colsample_bylevel",
          "colsample_bynode",
          "min_child_weight",
          "lambda",
          "alpha",
          "gamma",
          "max_bin",
          "max_leaves",
          "grow_policy",
          "max_delta_step",
          "monotone_constraints",
          "interaction_constraints");

  private XGBoostPassThrough() {}

  private static Params estimator() {
    return new XGBoostClassifier();
  }

  /** The names XGBoost4J-Spark accepts that Plumb passes through, sorted. */
  public static List<String> known() {
    List<String> out = new ArrayList<>();
    for (Param<?> p : estimator().params()) {
      if (!OWNED.containsKey(p.name())) {
        out.add(p.name());
      }
    }
    out.sort(null);
    return out;
  }

  /**
   * Checks every pass-through setting (name without the prefix to its text) and returns them typed;
   * fails with the key, the value and what is expected.
   */
  public static Map<String, Object> check(Map<String, String> settings) {
    Params est = estimator();
    Map<String, Object> out = new TreeMap<>();
    for (Map.Entry<String, String> e : settings.entrySet()) {
      String name = e.getKey();
      String text = e.getValue().trim();
      String key = PREFIX + name;
      if (OWNED.containsKey(name)) {
        throw TrainingErrors.invalidSetting(
            key, text, "not a pass-through: Plumb sets " + name + " from " + OWNED.get(name));
      }
      if (!est.hasParam(name)) {
        String near = Names.closest(name, known());
        throw TrainingErrors.invalidSetting(
            key,
            text,
            "a parameter XGBoost4J-Spark knows"
                + (near == null ? "" : " (did you mean " + PREFIX + near + "?)")
                + "; ./plumb keys lists the common ones");
      }
      if (name.equals("monotone_constraints") || name.equals("interaction_constraints")) {
        out.put(name, text); // by feature name: checked and made positional at training
        continue;
      }
      Param<Object> param = est.getParam(name);
      Object value;
      try {
        value = parse(param, text);
        param.w(value); // XGBoost's own range check
      } catch (IllegalArgumentException ex) {
        throw TrainingErrors.invalidSetting(
            key, text, expected(param) + " (" + firstLine(ex.getMessage()) + ")");
      }
      out.put(name, value);
    }
    return out;
  }

  /**
   * Sets the checked settings on {@code estimator}, with the constraints turned from feature names
   * into XGBoost's positional form over {@code featureNames}.
   */
  static void apply(Params estimator, Map<String, Object> settings, List<String> featureNames) {
    for (Map.Entry<String, Object> e : settings.entrySet()) {
      Object value =
          switch (e.getKey()) {
              // XGBoost4J-Spark hands parameters to the booster as text: an int[] would arrive as
              // "[I@...", so the positional form goes as XGBoost's own "(1,0,-1)" text.
            case "monotone_constraints" ->
                "("
                    + String.join(
                        ",",
                        Arrays.stream(monotone((String) e.getValue(), featureNames))
                            .mapToObj(String::valueOf)
                            .toList())
                    + ")";
            case "interaction_constraints" -> interactions((String) e.getValue(), featureNames);
            default -> e.getValue();
          };
      Param<Object> param = estimator.getParam(e.getKey());
      estimator.set(param, value);
    }
  }

  /**
   * {@code x1:1,x3:-1} (feature name: +1 increasing, -1 decreasing; unnamed features 0) as one
   * entry per feature in model order.
   */
  static int[] monotone(String spec, List<String> featureNames) {
    int[] out = new int[featureNames.size()];
    for (String item : spec.split(",")) {
      String s = item.trim();
      if (s.isEmpty()) {
        continue;
      }
      int colon = s.lastIndexOf(':');
      if (colon <= 0) {
        throw constraint(PREFIX + "monotone_constraints", spec, "name:1 or name:-1 items");
      }
      String name = s.substring(0, colon).trim();
      int i = index(name, featureNames, PREFIX + "monotone_constraints", spec);
      int dir;
      try {
        dir = Integer.parseInt(s.substring(colon + 1).trim());
      } catch (NumberFormatException ex) {
        dir = 2;
      }
      if (dir < -1 || dir > 1) {
        throw constraint(PREFIX + "monotone_constraints", spec, "a direction of 1, -1 or 0");
      }
      out[i] = dir;
    }
    return out;
  }

  /** {@code [[x1,x2],[x3,x4]]} by feature name as XGBoost's {@code [[0,1],[2,3]]}. */
  static String interactions(String spec, List<String> featureNames) {
    String s = spec.replace(" ", "");
    if (!s.startsWith("[[") || !s.endsWith("]]")) {
      throw constraint(
          PREFIX + "interaction_constraints", spec, "groups of feature names, e.g. [[a,b],[c,d]]");
    }
    List<String> groups = new ArrayList<>();
    for (String group : s.substring(2, s.length() - 2).split("\\],\\[")) {
      List<String> idx = new ArrayList<>();
      for (String name : group.split(",")) {
        idx.add(
            String.valueOf(index(name, featureNames, PREFIX + "interaction_constraints", spec)));
      }
      groups.add("[" + String.join(",", idx) + "]");
    }
    return "[" + String.join(",", groups) + "]";
  }

  private static int index(String name, List<String> featureNames, String key, String spec) {
    int i = featureNames.indexOf(name);
    if (i < 0) {
      String near = Names.closest(name, featureNames);
      throw constraint(
          key,
          spec,
          "feature names of the feature set: '"
              + name
              + "' is not one"
              + (near == null ? "" : " (did you mean '" + near + "'?)")
              + "; they are "
              + featureNames);
    }
    return i;
  }

  private static IllegalArgumentException constraint(String key, String value, String expected) {
    return TrainingErrors.invalidSetting(key, value, expected);
  }

  private static Object parse(Param<?> p, String text) {
    try {
      if (p instanceof DoubleParam) {
        return Double.parseDouble(text);
      }
      if (p instanceof FloatParam) {
        return Float.parseFloat(text);
      }
      if (p instanceof IntParam) {
        return Integer.parseInt(text);
      }
      if (p instanceof LongParam) {
        return Long.parseLong(text);
      }
      if (p instanceof BooleanParam) {
        String t = text.toLowerCase(Locale.ROOT);
        if (!t.equals("true") && !t.equals("false")) {
          throw new IllegalArgumentException("not true or false");
        }
        return Boolean.parseBoolean(t);
      }
      if (p instanceof IntArrayParam) {
        return Arrays.stream(strip(text).split(","))
            .mapToInt(s -> Integer.parseInt(s.trim()))
            .toArray();
      }
      if (p instanceof DoubleArrayParam) {
        return Arrays.stream(strip(text).split(","))
            .mapToDouble(s -> Double.parseDouble(s.trim()))
            .toArray();
      }
      if (p instanceof StringArrayParam) {
        return Arrays.stream(strip(text).split(",")).map(String::trim).toArray(String[]::new);
      }
      return text;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("not a number: " + e.getMessage(), e);
    }
  }

  private static String strip(String text) {
    return text.replaceAll("^[\\[(]|[\\])]$", "");
  }

  private static String expected(Param<?> p) {
    String type =
        p instanceof DoubleParam || p instanceof FloatParam
            ? "a number"
            : p instanceof IntParam || p instanceof LongParam
                ? "an integer"
                : p instanceof BooleanParam ? "true or false" : "a value";
    return type + " that XGBoost accepts for " + p.name() + ": " + firstLine(p.doc());
  }

  private static String firstLine(String s) {
    return String.valueOf(s).lines().findFirst().orElse("");
  }

  /** The settings as text, for the run's params. */
  public static Map<String, String> asText(Map<String, Object> settings) {
    Map<String, String> out = new LinkedHashMap<>();
    settings.forEach(
        (k, v) ->
            out.put(
                k,
                v instanceof int[] a
                    ? Arrays.toString(a)
                    : v instanceof double[] d
                        ? Arrays.toString(d)
                        : v instanceof String[] s ? String.join(",", s) : String.valueOf(v)));
    return out;
  }
}

package dev.plumb.jobs;

import dev.plumb.features.FeatureSetSpec;
import dev.plumb.features.YamlDocs;
import dev.plumb.training.ModelFormat;
import dev.plumb.training.ScalePosWeight;
import dev.plumb.training.TrainingSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The resolved, validated configuration of one job: defaults, overlaid by the config file, overlaid
 * by {@code --set} overrides. Unknown keys and ill-typed values are rejected up front.
 */
public final class PlumbConfig {

  private static final String REDACTED = "***";

  private final Map<String, Object> values;
  private final String source;

  private PlumbConfig(Map<String, Object> values, String source) {
    this.values = values;
    this.source = source;
  }

  /**
   * Loads the config.
   *
   * @param file the YAML config file, or null for defaults only
   * @param overrides {@code key=value} strings from {@code --set}
   * @param env the environment (for {@code MLFLOW_TRACKING_URI})
   */
  public static PlumbConfig load(Path file, List<String> overrides, Map<String, String> env) {
    Map<String, Object> values = new LinkedHashMap<>();
    for (ConfigKey k : ConfigKeys.all()) {
      values.put(k.name(), parse(k, k.defaultValue(), "the default"));
    }
    String source = "defaults";
    if (file != null) {
      String text;
      try {
        text = Files.readString(file, StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw JobErrors.missingConfig(file, e);
      }
      Map<String, Object> flat = new LinkedHashMap<>();
      flatten("", YamlDocs.parse(text, file.toString()), flat);
      for (Map.Entry<String, Object> e : flat.entrySet()) {
        put(values, e.getKey(), e.getValue(), file.toString());
      }
      // A spec named in a config file is found relative to that file, from any working directory.
      String spec = String.valueOf(values.get("features.spec"));
      if (flat.containsKey("features.spec") && !spec.isEmpty() && !Path.of(spec).isAbsolute()) {
        Path dir = file.toAbsolutePath().getParent();
        values.put("features.spec", dir.resolve(spec).normalize().toString());
      }
      source = file.toString();
    }
    boolean uriSet =
        file != null
            && values.get("tracking.uri") != null
            && !String.valueOf(values.get("tracking.uri")).isEmpty();
    for (String o : overrides) {
      int eq = o.indexOf('=');
      if (eq <= 0) {
        throw JobErrors.usage("--set expects key=value, got '" + o + "'");
      }
      String key = o.substring(0, eq).trim();
      put(values, key, o.substring(eq + 1), "--set");
      if (key.equals("tracking.uri")) {
        uriSet = true;
      }
    }
    if (!uriSet && String.valueOf(values.get("tracking.uri")).isEmpty()) {
      String fromEnv = env.getOrDefault("MLFLOW_TRACKING_URI", "");
      values.put("tracking.uri", fromEnv);
    }
    String specFile = String.valueOf(values.get("features.spec"));
    if (!specFile.isEmpty()) {
      // The spec file names the feature set, label and key; the other stages read these keys.
      FeatureSetSpec spec = FeatureSetSpec.load(Path.of(specFile));
      values.put("features.name", spec.name());
      values.put("features.label", spec.labelColumn());
      values.put("features.key", spec.keyColumn());
    }
    PlumbConfig config = new PlumbConfig(values, source);
    config.validate();
    return config;
  }

  @SuppressWarnings("unchecked")
  private static void flatten(String prefix, Map<String, Object> map, Map<String, Object> out) {
    for (Map.Entry<String, Object> e : map.entrySet()) {
      String key = prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey();
      boolean known = ConfigKeys.find(key) != null || key.startsWith(ConfigKeys.SPARK_CONF_PREFIX);
      if (e.getValue() instanceof Map<?, ?> nested && !known) {
        flatten(key, (Map<String, Object>) nested, out);
      } else {
        out.put(key, e.getValue());
      }
    }
  }

  private static void put(Map<String, Object> values, String key, Object raw, String where) {
    if (key.startsWith(ConfigKeys.SPARK_CONF_PREFIX)
        && key.length() > ConfigKeys.SPARK_CONF_PREFIX.length()) {
      values.put(key, raw == null ? "" : String.valueOf(raw));
      return;
    }
    ConfigKey k = ConfigKeys.find(key);
    if (k == null) {
      throw JobErrors.unknownKey(key, where);
    }
    values.put(key, parse(k, raw, where));
  }

  private static Object parse(ConfigKey k, Object raw, String where) {
    if (raw == null) {
      return k.type() == ConfigKey.Type.LIST ? List.of() : "";
    }
    String text = String.valueOf(raw).trim();
    try {
      return switch (k.type()) {
        case STRING -> text;
        case INT -> Integer.parseInt(text);
        case DOUBLE -> Double.parseDouble(text);
        case BOOLEAN -> {
          String t = text.toLowerCase(Locale.ROOT);
          if (!t.equals("true") && !t.equals("false")) {
            throw new NumberFormatException(text);
          }
          yield Boolean.parseBoolean(t);
        }
        case LIST -> {
          if (raw instanceof List<?> list) {
            yield list.stream().map(String::valueOf).toList();
          }
          yield text.isEmpty()
              ? List.of()
              : Arrays.stream(text.split(",")).map(String::trim).toList();
        }
      };
    } catch (NumberFormatException e) {
      throw JobErrors.badValue(k, text, where);
    }
  }

  private void validate() {
    String mode = string("tracking.mode");
    if (!mode.equals("mlflow") && !mode.equals("none")) {
      throw JobErrors.badValue(ConfigKeys.find("tracking.mode"), mode, source);
    }
    // Building the specs validates them and their cross-field rules.
    featureSetSpec();
    trainingSpec();
  }

  /** Returns a copy with one more override. */
  public PlumbConfig with(String key, Object value) {
    Map<String, Object> copy = new LinkedHashMap<>(values);
    put(copy, key, value, "the program");
    return new PlumbConfig(copy, source);
  }

  /** Where the config came from (a file name or "defaults"). */
  public String source() {
    return source;
  }

  public String string(String key) {
    return String.valueOf(require(key));
  }

  public int integer(String key) {
    return (Integer) require(key);
  }

  public double number(String key) {
    return (Double) require(key);
  }

  public boolean flag(String key) {
    return (Boolean) require(key);
  }

  @SuppressWarnings("unchecked")
  public List<String> list(String key) {
    return (List<String>) require(key);
  }

  private Object require(String key) {
    if (!values.containsKey(key)) {
      throw new IllegalStateException("Cannot read config key '" + key + "': not registered");
    }
    return values.get(key);
  }

  /** The work directory. */
  public Path workDir() {
    return Path.of(string("work_dir")).toAbsolutePath().normalize();
  }

  /** A path key, or its default under the work dir when empty. */
  public Path pathOr(String key, String underWorkDir) {
    String v = string(key);
    return v.isEmpty() ? workDir().resolve(underWorkDir) : Path.of(v).toAbsolutePath().normalize();
  }

  /** Free-form Spark settings ({@code spark.conf.*}), prefix removed. */
  public Map<String, String> sparkConf() {
    Map<String, String> out = new TreeMap<>();
    values.forEach(
        (k, v) -> {
          if (k.startsWith(ConfigKeys.SPARK_CONF_PREFIX)) {
            out.put(k.substring(ConfigKeys.SPARK_CONF_PREFIX.length()), String.valueOf(v));
          }
        });
    return out;
  }

  /**
   * The feature-set spec: the {@code features.spec} file, or else the one the {@code features.*}
   * column keys declare.
   */
  public FeatureSetSpec featureSetSpec() {
    String file = string("features.spec");
    if (!file.isEmpty()) {
      return FeatureSetSpec.load(Path.of(file));
    }
    return FeatureSetSpec.ofColumns(
        string("features.name"),
        string("features.label"),
        string("features.key"),
        list("features.numeric"),
        list("features.categorical"),
        number("features.train_fraction"),
        number("features.validation_fraction"),
        integer("features.split_seed"));
  }

  /** The training spec these settings declare. */
  public TrainingSpec trainingSpec() {
    return new TrainingSpec(
        string("train.objective"),
        string("train.eval_metric"),
        integer("train.num_round"),
        integer("train.max_depth"),
        number("train.eta"),
        integer("train.num_workers"),
        integer("train.nthread"),
        integer("train.early_stopping_rounds"),
        integer("train.seed"),
        string("train.device"),
        ScalePosWeight.parse(string("train.scale_pos_weight")),
        ModelFormat.parse(string("train.model_format")),
        integer("train.tracker_timeout_seconds"));
  }

  /**
   * Every resolved value as text, flattened, with secrets redacted: the run's params and the
   * resolved-config artifact.
   */
  public Map<String, String> redacted() {
    Map<String, String> out = new LinkedHashMap<>();
    List<String> keys = new ArrayList<>(values.keySet());
    keys.sort(Comparator.naturalOrder());
    for (String k : keys) {
      Object v = values.get(k);
      String text =
          v instanceof List<?> l
              ? String.join(",", l.stream().map(String::valueOf).toList())
              : String.valueOf(v);
      out.put(k, isSecret(k) ? REDACTED : Secrets.redactUri(text));
    }
    return out;
  }

  static boolean isSecret(String key) {
    String k = key.toLowerCase(Locale.ROOT);
    return k.contains("token")
        || k.contains("password")
        || k.contains("secret")
        || k.contains("credential")
        || k.endsWith(".key")
        || k.contains("access.key");
  }
}

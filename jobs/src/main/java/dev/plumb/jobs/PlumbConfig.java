package dev.plumb.jobs;

import dev.plumb.evaluation.EvalSpec;
import dev.plumb.evaluation.EvalSpecLoader;
import dev.plumb.evaluation.MonitorSpec;
import dev.plumb.evaluation.OperatingPoint;
import dev.plumb.evaluation.PairedMetrics;
import dev.plumb.features.FeatureSetSpec;
import dev.plumb.features.io.Locations;
import dev.plumb.features.io.Secrets;
import dev.plumb.features.io.Storages;
import dev.plumb.features.io.YamlDocs;
import dev.plumb.training.ModelFormat;
import dev.plumb.training.ScalePosWeight;
import dev.plumb.training.TrainingSpec;
import dev.plumb.training.TuneSpec;
import dev.plumb.training.XGBoostPassThrough;
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
  private final Map<String, String> origins;
  private FeatureSetSpec featureSetSpec;

  private PlumbConfig(Map<String, Object> values, String source, Map<String, String> origins) {
    this.values = values;
    this.source = source;
    this.origins = origins;
  }

  /**
   * Loads the config.
   *
   * @param file the YAML config file, or null for defaults only
   * @param overrides {@code key=value} strings from {@code --set}
   * @param env the environment (for {@code MLFLOW_TRACKING_URI})
   */
  public static PlumbConfig load(String file, List<String> overrides, Map<String, String> env) {
    Map<String, Object> values = new LinkedHashMap<>();
    Map<String, String> origins = new LinkedHashMap<>();
    for (ConfigKey k : ConfigKeys.all()) {
      values.put(k.name(), parse(k, k.defaultValue(), "the default"));
    }
    String source = "defaults";
    if (file != null) {
      String location = Locations.qualify(file);
      String text;
      try {
        text = Storages.current().readText(location);
      } catch (java.io.UncheckedIOException e) {
        throw JobErrors.missingConfig(location, e);
      }
      Map<String, Object> flat = new LinkedHashMap<>();
      flatten("", YamlDocs.parse(text, location), flat);
      for (Map.Entry<String, Object> e : flat.entrySet()) {
        put(values, e.getKey(), e.getValue(), location);
        origins.put(e.getKey(), location);
      }
      // A spec named in a config file is found relative to that file, from any working directory.
      String spec = String.valueOf(values.get("features.spec"));
      if (flat.containsKey("features.spec") && !spec.isEmpty()) {
        values.put("features.spec", Locations.resolve(Locations.parent(location), spec));
      }
      source = location;
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
      origins.put(key, "--set");
      if (key.equals("tracking.uri")) {
        uriSet = true;
      }
    }
    if (!uriSet && String.valueOf(values.get("tracking.uri")).isEmpty()) {
      String fromEnv = env.getOrDefault("MLFLOW_TRACKING_URI", "");
      values.put("tracking.uri", fromEnv);
      origins.put("tracking.uri", "MLFLOW_TRACKING_URI");
    }
    PlumbConfig config = new PlumbConfig(values, source, origins);
    String specFile = config.string("features.spec");
    if (!specFile.isEmpty()) {
      // The spec file names the feature set, label and key; the other stages read these keys.
      FeatureSetSpec spec = FeatureSetSpec.load(config.storage(), Locations.qualify(specFile));
      values.put("features.name", spec.name());
      values.put("features.label", spec.labelColumn());
      values.put("features.key", spec.keyColumn());
      config.featureSetSpec = spec;
    }
    // Spec files are recorded where they were found, so the resolved config (logged with every
    // run, read back by plumb reproduce) names them from any working directory.
    for (String key : List.of("evaluate.spec", "tune.spec", "monitor.spec")) {
      String v = config.string(key);
      if (!v.isEmpty()) {
        values.put(key, config.resolveSpec(v, config.storage()));
      }
    }
    config.validate();
    return config;
  }

  /** Where a key's value came from: the config file, {@code --set}, the environment or default. */
  public String origin(String key) {
    return origins.getOrDefault(key, "the default");
  }

  @SuppressWarnings("unchecked")
  private static void flatten(String prefix, Map<String, Object> map, Map<String, Object> out) {
    for (Map.Entry<String, Object> e : map.entrySet()) {
      String key = prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey();
      boolean known = ConfigKeys.find(key) != null || passThrough(key);
      if (e.getValue() instanceof Map<?, ?> nested && !known) {
        flatten(key, (Map<String, Object>) nested, out);
      } else {
        out.put(key, e.getValue());
      }
    }
  }

  /**
   * Keys passed on as they are: {@code spark.conf.*} to Spark, {@code train.params.*} to XGBoost.
   */
  private static boolean passThrough(String key) {
    return (key.startsWith(ConfigKeys.SPARK_CONF_PREFIX)
            && key.length() > ConfigKeys.SPARK_CONF_PREFIX.length())
        || (key.startsWith(XGBoostPassThrough.PREFIX)
            && key.length() > XGBoostPassThrough.PREFIX.length());
  }

  private static void put(Map<String, Object> values, String key, Object raw, String where) {
    if (passThrough(key)) {
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

  /**
   * Checks every value that a later stage would otherwise find wrong only after earlier stages ran:
   * enum-like keys, names that become folders, referenced spec files (read and parsed), so a bad
   * config exits 2 before any Spark session exists. Errors name the key and where its value came
   * from.
   */
  private void validate() {
    choice("tracking.mode", List.of("mlflow", "none"));
    choice("ingest.format", List.of("parquet", "delta"));
    choice("ingest.unreadable_files", List.of("fail", "skip"));
    choice("train.device", List.of("cpu", "cuda", "auto"));
    choice("train.model_format", List.of("ubj", "json"));
    if (!string("evaluate.mode").isEmpty()) {
      choice("evaluate.mode", List.of("fast", "full"));
    }
    for (String key : List.of("train.feature_set_version", "features.name")) {
      String v = string(key);
      if (!v.isEmpty()) {
        try {
          Locations.checkSegment(v, key);
        } catch (IllegalArgumentException e) {
          throw JobErrors.badSetting(key, origin(key), e.getMessage());
        }
      }
    }
    modelTags();
    dev.plumb.features.io.Storage storage = storage();
    for (String key : LOCATION_KEYS) {
      for (String location : key.equals("ingest.input") ? inputRoots() : List.of(string(key))) {
        try {
          storage.checkSupported(location);
        } catch (java.io.UncheckedIOException e) {
          throw JobErrors.badSetting(key, origin(key), e.getMessage());
        }
      }
    }
    // Building the specs validates them and their cross-field rules; the evaluation spec file is
    // read and parsed here, not after training.
    featureSetSpec();
    trainingSpec();
    thresholdPolicy();
    try {
      evalSpec();
    } catch (JobErrors.UsageException e) {
      throw e;
    } catch (RuntimeException e) {
      throw JobErrors.badSetting("evaluate.spec", origin("evaluate.spec"), e.getMessage());
    }
    try {
      monitorSpec();
    } catch (JobErrors.UsageException e) {
      throw e;
    } catch (RuntimeException e) {
      throw JobErrors.badSetting("monitor.spec", origin("monitor.spec"), e.getMessage());
    }
    if (integer("train.reference_max_rows") < 0) {
      throw JobErrors.badSetting(
          "train.reference_max_rows",
          origin("train.reference_max_rows"),
          integer("train.reference_max_rows")
              + " is negative (write a row count, or 0 to measure every row of the train split)");
    }
    String push = string("monitor.pushgateway_url");
    if (!push.isEmpty() && !push.startsWith("http://") && !push.startsWith("https://")) {
      throw JobErrors.badSetting(
          "monitor.pushgateway_url",
          origin("monitor.pushgateway_url"),
          "'"
              + Secrets.redactUri(push)
              + "' is not an http:// or https:// URL (write the Pushgateway's base URL, e.g."
              + " http://pushgateway:9091)");
    }
    if (!string("tune.spec").isEmpty()) {
      try {
        tuneSpec();
      } catch (RuntimeException e) {
        throw JobErrors.badSetting("tune.spec", origin("tune.spec"), e.getMessage());
      }
    }
    if (!PairedMetrics.NAMES.contains(string("compare.metric"))) {
      throw JobErrors.badChoice(
          "compare.metric",
          string("compare.metric"),
          origin("compare.metric"),
          PairedMetrics.NAMES);
    }
  }

  /** {@code tune.spec}, read and parsed. */
  TuneSpec tuneSpec() {
    String file = string("tune.spec");
    if (file.isEmpty()) {
      throw JobErrors.usage(
          "plumb tune needs a search space: set tune.spec to a YAML file (conf/tune/demo.yaml is"
              + " an example)");
    }
    return TuneSpec.load(storage(), resolveSpec(file, storage()));
  }

  /** Keys that hold a location on some filesystem. */
  static final List<String> LOCATION_KEYS =
      List.of(
          "work_dir",
          "ingest.input",
          "ingest.contract",
          "ingest.clean_table",
          "ingest.quarantine_table",
          "features.spec",
          "features.store",
          "train.model_dir",
          "evaluate.model",
          "evaluate.spec",
          "evaluate.drift_input",
          "tune.spec",
          "monitor.spec");

  private void choice(String key, List<String> choices) {
    String v = string(key).trim().toLowerCase(Locale.ROOT);
    if (!choices.contains(v)) {
      throw JobErrors.badChoice(key, string(key), origin(key), choices);
    }
  }

  /** Returns a copy with one more override. */
  public PlumbConfig with(String key, Object value) {
    Map<String, Object> copy = new LinkedHashMap<>(values);
    put(copy, key, value, "the program");
    PlumbConfig out = new PlumbConfig(copy, source, origins);
    out.featureSetSpec = key.startsWith("features.") ? null : featureSetSpec;
    return out;
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

  /** The work directory: a URI on any Hadoop filesystem, or a local path made absolute. */
  public String workDir() {
    return Locations.qualify(string("work_dir"));
  }

  /** A location key, or its default under the work dir when empty. */
  public String pathOr(String key, String underWorkDir) {
    String v = string(key);
    return v.isEmpty() ? Locations.join(workDir(), underWorkDir) : Locations.qualify(v);
  }

  /**
   * The roots of {@code ingest.input} (comma-separated; default {@code <work_dir>/demo-data}), each
   * qualified on its own.
   */
  public List<String> inputRoots() {
    String v = string("ingest.input");
    if (v.isBlank()) {
      return List.of(Locations.join(workDir(), "demo-data"));
    }
    return Arrays.stream(v.split(","))
        .map(String::trim)
        .filter(r -> !r.isEmpty())
        .map(Locations::qualify)
        .toList();
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
      if (featureSetSpec == null) {
        featureSetSpec = FeatureSetSpec.load(Storages.current(), Locations.qualify(file));
      }
      return featureSetSpec;
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
            integer("train.tracker_timeout_seconds"))
        .withParams(XGBoostPassThrough.check(xgboostParams()));
  }

  /** The {@code train.params.*} settings, name (without the prefix) to text. */
  Map<String, String> xgboostParams() {
    Map<String, String> out = new java.util.TreeMap<>();
    values.forEach(
        (k, v) -> {
          if (k.startsWith(XGBoostPassThrough.PREFIX)) {
            out.put(k.substring(XGBoostPassThrough.PREFIX.length()), String.valueOf(v));
          }
        });
    return out;
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

  /**
   * Whether a key holds a secret: it names a token, password, secret, credential or a cloud key
   * ({@code fs.s3a.access.key}, {@code fs.azure.account.key.<account>...}, a private or API key). A
   * plain {@code .key} is not enough: {@code features.key} is the key column's name.
   */
  /**
   * The storage for this config's files: the running session's when one runs, else one over the
   * config's Hadoop settings ({@code spark.conf.spark.hadoop.*}), before Spark starts.
   */
  dev.plumb.features.io.Storage storage() {
    return org.apache.spark.sql.SparkSession.getActiveSession().isDefined()
            || org.apache.spark.sql.SparkSession.getDefaultSession().isDefined()
        ? Storages.current()
        : Storages.beforeSpark(sparkConf());
  }

  /** {@code tracking.model_tags} as a map (each item {@code key=value}). */
  Map<String, String> modelTags() {
    Map<String, String> tags = new LinkedHashMap<>();
    for (String pair : list("tracking.model_tags")) {
      int eq = pair.indexOf('=');
      if (eq <= 0) {
        throw JobErrors.badSetting(
            "tracking.model_tags",
            origin("tracking.model_tags"),
            "'" + pair + "' is not key=value (write tracking.model_tags=k1=v1,k2=v2)");
      }
      tags.put(pair.substring(0, eq).trim(), pair.substring(eq + 1).trim());
    }
    return tags;
  }

  /** The spec {@code evaluate.spec} names (defaults when empty), in {@code evaluate.mode}. */
  EvalSpec evalSpec() {
    String file = string("evaluate.spec");
    EvalSpec spec =
        file.isEmpty()
            ? EvalSpec.defaults()
            : EvalSpecLoader.load(storage(), resolveSpec(file, storage()));
    String mode = string("evaluate.mode");
    if (!mode.isEmpty()) {
      spec = spec.withMode(EvalSpec.Mode.parse(mode));
    }
    OperatingPoint.Policy policy = thresholdPolicy();
    // A policy's threshold is chosen at training and stored with the model (EvaluateStage).
    return policy.kind().equals("fixed") ? spec.withThreshold(policy.value()) : spec;
  }

  /** The spec {@code monitor.spec} names, or the default gates when empty. */
  MonitorSpec monitorSpec() {
    String file = string("monitor.spec");
    return file.isEmpty()
        ? MonitorSpec.defaults()
        : MonitorSpec.load(storage(), resolveSpec(file, storage()));
  }

  /** {@code evaluate.threshold}: a number or a policy, checked at load. */
  OperatingPoint.Policy thresholdPolicy() {
    try {
      return OperatingPoint.Policy.parse(string("evaluate.threshold"));
    } catch (IllegalArgumentException e) {
      throw JobErrors.badSetting(
          "evaluate.threshold", origin("evaluate.threshold"), e.getMessage());
    }
  }

  /**
   * A relative spec path is read from the working directory, or else from the folder that holds the
   * config file's {@code conf/} folder (so {@code conf/eval/demo.yaml} in {@code conf/local.yaml}
   * works from any directory).
   */
  private String resolveSpec(String file, dev.plumb.features.io.Storage storage) {
    String p = Locations.qualify(file);
    if (Locations.hasScheme(file)
        || file.startsWith("/")
        || source().equals("defaults")
        || storage.exists(p)) {
      return p;
    }
    String grandParent = Locations.parent(Locations.parent(source()));
    if (!grandParent.isEmpty()) {
      String candidate = Locations.resolve(grandParent, file);
      if (storage.exists(candidate)) {
        return candidate;
      }
    }
    return p;
  }

  static boolean isSecret(String key) {
    String k = key.toLowerCase(Locale.ROOT);
    return k.contains("token")
        || k.contains("password")
        || k.contains("passwd")
        || k.contains("secret")
        || k.contains("credential")
        || k.contains("access.key")
        || k.contains("account.key")
        || k.contains("private.key")
        || k.contains("api.key")
        || k.contains("apikey")
        || k.contains(".sas.");
  }
}

package dev.plumb.jobs;

import dev.plumb.jobs.ConfigKey.Type;
import dev.plumb.training.XGBoostPassThrough;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every config key Plumb reads, with its default and unit: the one place they are documented
 * ({@code ./plumb keys} prints this table). Precedence: {@code --set} on the command line &gt; the
 * config file &gt; the default here. {@code tracking.uri} falls back to the environment variable
 * {@code MLFLOW_TRACKING_URI} when neither sets it. Keys under {@code spark.conf.} are passed to
 * Spark as they are (e.g. {@code spark.conf.spark.executor.memory}).
 */
public final class ConfigKeys {

  /** Prefix of free-form Spark settings. */
  public static final String SPARK_CONF_PREFIX = "spark.conf.";

  private static final Map<String, ConfigKey> KEYS = new LinkedHashMap<>();

  static {
    key("work_dir", Type.STRING, ".plumb/work", "Root folder of tables, feature store and models");
    key("spark.master", Type.STRING, "local[*]", "Spark master when spark-submit did not set one");
    key("spark.shuffle_partitions", Type.INT, "8", "spark.sql.shuffle.partitions (count)");
    key("spark.ui", Type.BOOLEAN, "false", "Serve the Spark UI when Plumb creates the session");
    key(
        "log.progress_every_seconds",
        Type.INT,
        "30",
        "Seconds between progress lines for running Spark stages (tasks done of all)");

    key(
        "ingest.input",
        Type.STRING,
        "",
        "Input: Parquet folder(s), comma-separated, or a Delta table path (default:"
            + " <work_dir>/demo-data)");
    key("ingest.format", Type.STRING, "parquet", "parquet | delta");
    key("ingest.delta_version", Type.INT, "-1", "Delta version to read; -1 = latest");
    key("ingest.delta_timestamp", Type.STRING, "", "Read the Delta version as of this time");
    key(
        "ingest.partition_filter",
        Type.STRING,
        "",
        "SQL over partition columns; prunes files before reading (e.g. event_date >= '2026-11-01')");
    key("ingest.row_filter", Type.STRING, "", "SQL over data columns, pushed down to the scan");
    key(
        "ingest.unreadable_files",
        Type.STRING,
        "fail",
        "fail | skip: what to do with truncated or non-Parquet files");
    key(
        "ingest.max_gathered_bad_rows",
        Type.INT,
        "10000",
        "Bad rows held on the driver during the clean pass; more are read in a second pass");
    key("ingest.contract", Type.STRING, "conf/contracts/demo.yaml", "Data contract YAML file");
    key(
        "ingest.clean_table",
        Type.STRING,
        "",
        "Clean Delta table (default <work_dir>/tables/clean)");
    key(
        "ingest.quarantine_table",
        Type.STRING,
        "",
        "Quarantine Delta table (default <work_dir>/tables/quarantine)");

    key("features.store", Type.STRING, "", "Feature store folder (default <work_dir>/features)");
    key(
        "features.spec",
        Type.STRING,
        "",
        "Feature-set spec YAML (conf/features/demo.yaml; in a config file: relative to that file);"
            + " when set, its name, label and key win over features.name/label/key and the column"
            + " lists below are not used");
    key("features.name", Type.STRING, "demo", "Feature set name (a folder in the store)");
    key("features.label", Type.STRING, "label", "Label column (0/1)");
    key("features.key", Type.STRING, "id", "Key column; the split is a seeded hash of it");
    key(
        "features.numeric",
        Type.LIST,
        "amount,age,tenure_days,num_txn_30d",
        "Numeric feature columns, used as they are (without features.spec)");
    key(
        "features.categorical",
        Type.LIST,
        "country,channel",
        "Categorical columns, indexed on the train split (without features.spec)");
    key("features.train_fraction", Type.DOUBLE, "0.7", "Fraction of keys in train (0-1)");
    key("features.validation_fraction", Type.DOUBLE, "0.15", "Fraction of keys in validation");
    key("features.split_seed", Type.INT, "42", "Seed of the split hash");
    key("features.force", Type.BOOLEAN, "false", "Rebuild even when the version is stored");
    key(
        "features.max_single_feature_auc",
        Type.DOUBLE,
        "0.99",
        "Leakage guard: a feature alone above this ROC-AUC on train fails the build");
    key("features.allow_leaky", Type.LIST, "", "Features exempt from the leakage guard");

    key("train.feature_set_version", Type.STRING, "", "Feature set version (default: latest)");
    key(
        "train.objective",
        Type.STRING,
        "binary:logistic",
        "XGBoost objective: binary:logistic, reg:squarederror, reg:absoluteerror or multi:softprob"
            + " (evaluate covers binary:logistic)");
    key(
        "train.eval_metric",
        Type.STRING,
        "logloss",
        "Metric per round, used for early stopping: logloss|auc|aucpr|error (binary),"
            + " rmse|mae (reg), mlogloss|merror (multi)");
    key("train.num_round", Type.INT, "200", "Maximum boosting rounds");
    key("train.max_depth", Type.INT, "6", "Maximum tree depth");
    key("train.eta", Type.DOUBLE, "0.1", "Learning rate");
    key(
        "train.num_workers",
        Type.INT,
        "0",
        "XGBoost workers (Spark barrier tasks); 0 = auto, the cluster's task slots");
    key(
        "train.nthread",
        Type.INT,
        "0",
        "Threads per worker (at most spark.task.cpus); 0 = spark.task.cpus");
    key("train.early_stopping_rounds", Type.INT, "20", "Rounds without improvement; 0 = off");
    key("train.seed", Type.INT, "42", "XGBoost seed");
    key("train.device", Type.STRING, "cpu", "cpu | cuda | auto (cuda when executors have GPUs)");
    key(
        "train.scale_pos_weight",
        Type.STRING,
        "1",
        "Weight of positives: a number > 0, or auto = negatives/positives of the train split");
    key(
        "train.model_format",
        Type.STRING,
        "ubj",
        "Booster file: ubj (model.ubj) | json (model.ubj + booster.json)");
    key(
        "train.tracker_timeout_seconds",
        Type.INT,
        "60",
        "XGBoost tracker's wait for all workers to connect (s)");
    key(
        "train.executor_wait_seconds",
        Type.INT,
        "60",
        "Wait for executors to register before the training preflight (s)");
    key("train.model_dir", Type.STRING, "", "Model folder (default <work_dir>/models)");
    key(
        "train.reference_max_rows",
        Type.INT,
        "1000000",
        "Train-split rows the training reference (reference.json) is measured on, at most: a"
            + " larger split is sampled (seeded); 0 = every row");

    key("evaluate.model", Type.STRING, "", "Model folder to evaluate (default: latest)");
    key(
        "evaluate.threshold",
        Type.STRING,
        "max_f1",
        "Decision threshold: a number in [0,1], or a policy chosen on the validation split at"
            + " training (max_f1 | cost | precision_at_least:P | recall_at_least:R)");
    key(
        "evaluate.spec",
        Type.STRING,
        "",
        "Evaluation spec YAML: slices, baselines, tests, gates (empty: built-in defaults)");
    key("evaluate.mode", Type.STRING, "", "fast | full; empty: the spec's mode (default full)");
    key("evaluate.fail_on_gate", Type.BOOLEAN, "false", "Fail the job (exit 1) on a failed gate");
    key(
        "evaluate.drift_input",
        Type.STRING,
        "",
        "Extra Delta/Parquet dataset (feature columns) to measure drift on; empty: none");

    key(
        "tune.spec",
        Type.STRING,
        "",
        "plumb tune: the search space, budget and pruning (YAML, e.g. conf/tune/demo.yaml)");
    key(
        "compare.champion",
        Type.STRING,
        "",
        "plumb compare/promote: the model to beat; empty: models:/<tracking.register_model>@"
            + "<compare.alias>");
    key("compare.alias", Type.STRING, "champion", "Registry alias promote moves to the winner");
    key(
        "compare.metric",
        Type.STRING,
        "roc_auc",
        "Metric whose paired difference must be significant for promote: roc_auc |"
            + " average_precision | log_loss | brier | accuracy | precision | recall | f1 | ece");
    key(
        "monitor.spec",
        Type.STRING,
        "",
        "Monitor spec YAML: gates on plumb monitor's drift, null, unseen-category, score and"
            + " contract metrics (conf/monitor/demo.yaml; empty: built-in defaults)");
    key(
        "monitor.pushgateway_url",
        Type.STRING,
        "",
        "Prometheus Pushgateway (http[s]://host:9091) plumb monitor PUTs its gauges to, grouped by"
            + " job plumb_monitor and the model; empty: do not push");

    key("tracking.mode", Type.STRING, "mlflow", "mlflow | none (--tracking overrides)");
    key("tracking.uri", Type.STRING, "", "MLflow tracking URI (default $MLFLOW_TRACKING_URI)");
    key("tracking.experiment", Type.STRING, "plumb", "MLflow experiment, created when missing");
    key("tracking.timeout_seconds", Type.INT, "30", "Connect/read timeout of MLflow calls (s)");
    key(
        "tracking.retry_budget_seconds",
        Type.INT,
        "120",
        "Time one MLflow call may spend retrying connection errors, 429 and 5xx (s)");
    key(
        "tracking.register_model",
        Type.STRING,
        "",
        "Register the logged model in the Model Registry under this name; empty: do not");
    key(
        "tracking.model_tags",
        Type.LIST,
        "",
        "Tags of the registered model version, as key=value pairs (comma-separated)");

    key("demo.rows", Type.INT, "200000", "Rows of the generated sample dataset");
    key("demo.days", Type.INT, "30", "Date partitions of the sample dataset");
    key("demo.seed", Type.INT, "7", "Seed of the sample dataset");
  }

  private ConfigKeys() {}

  private static void key(String name, Type type, String defaultValue, String doc) {
    KEYS.put(name, new ConfigKey(name, type, defaultValue, doc));
  }

  /** All keys, in documentation order. */
  public static List<ConfigKey> all() {
    return List.copyOf(KEYS.values());
  }

  /** The key of that name, or null. */
  public static ConfigKey find(String name) {
    return KEYS.get(name);
  }

  /** The table printed by {@code ./plumb keys}. */
  public static String table() {
    StringBuilder sb = new StringBuilder();
    for (ConfigKey k : KEYS.values()) {
      sb.append(
          String.format(
              "  %-30s %-8s %-18s %s%n",
              k.name(),
              k.type().name().toLowerCase(java.util.Locale.ROOT),
              k.defaultValue().isEmpty() ? "-" : k.defaultValue(),
              k.doc()));
    }
    sb.append(
        String.format(
            "  %-30s %-8s %-18s %s%n",
            SPARK_CONF_PREFIX + "<key>", "string", "-", "Passed to Spark as <key>"));
    sb.append(
        String.format(
            "  %-30s %-8s %-18s %s%n",
            XGBoostPassThrough.PREFIX + "<name>",
            "string",
            "-",
            "Any other XGBoost parameter, checked against XGBoost4J-Spark's (e.g. "
                + String.join(", ", XGBoostPassThrough.COMMON)
                + "); monotone_constraints by feature name (x1:1,x3:-1),"
                + " interaction_constraints as [[a,b],[c]]"));
    return sb.toString();
  }
}

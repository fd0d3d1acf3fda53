package dev.plumb.jobs;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.array_contains;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat_ws;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.current_timestamp;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.filter;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.not;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import dev.plumb.features.FeatureDef;
import dev.plumb.features.FeatureSetSpec;
import dev.plumb.features.FittedTransform;
import dev.plumb.features.ingest.ColumnSpec;
import dev.plumb.features.ingest.DataContract;
import dev.plumb.features.io.JsonFiles;
import dev.plumb.features.io.Locations;
import dev.plumb.features.io.Log;
import dev.plumb.features.io.SparkSql;
import dev.plumb.features.io.Storage;
import dev.plumb.features.io.Storages;
import dev.plumb.features.store.FeatureStore;
import dev.plumb.jobs.tracking.RunTracker;
import dev.plumb.training.ModelFiles;
import dev.plumb.training.ModelMetadata;
import dev.plumb.training.ModelStore;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * {@code plumb score}: scores raw rows (the contract's columns, Parquet or Delta) with a trained
 * model, applying the model's own fitted transform in Spark, and writes a Delta table of
 * predictions: the key, the probability, the decision at the model's stored threshold, the model
 * and feature-set versions, and optionally the top-k SHAP contributions. Rows the contract makes
 * unscorable (a null in a required input column, a value of the wrong type) go to a quarantine
 * Delta table with their reasons; unseen categories are scored (the transform's unseen bucket) and
 * counted.
 */
final class ScoreStage {

  static final String REASONS = "_plumb_reasons";

  /** True when {@link #REASONS} is empty: the same rules as one boolean, cheap to filter on. */
  static final String SCORABLE = "_plumb_scorable";

  static final String PROBABILITY = "probability";
  static final String DECISION = "decision";

  /** What scoring did. */
  record Result(
      String output,
      String quarantine,
      long rowsRead,
      long rowsScored,
      long rowsQuarantined,
      Map<String, Long> quarantinedByReason,
      Map<String, Long> unseen,
      Map<String, Long> outsideRange,
      double threshold,
      String modelDir,
      String report) {}

  private ScoreStage() {}

  static Result run(
      SparkSession spark,
      PlumbConfig config,
      RunTracker tracker,
      String modelDir,
      String input,
      String output,
      int topK) {
    Storage storage = Storages.of(spark);
    Model model = Model.load(storage, modelDir, "score");
    String dir = model.dir();
    ModelMetadata meta = model.meta();
    byte[] booster = model.booster();
    FittedTransform transform = model.transform();
    FeatureSetSpec spec = transform.spec();
    double threshold = model.threshold();
    Dataset<Row> raw = readRaw(spark, storage, input, "score");

    Judged judgedRows = judge(raw, IngestStage.contract(config), spec);
    List<String> reasonNames = judgedRows.reasonNames();
    Dataset<Row> judged = judgedRows.rows().localCheckpoint();
    Dataset<Row> bad = judged.filter(not(scorable()));
    Dataset<Row> good = judged.filter(scorable()).drop(REASONS, SCORABLE);

    // Every count in one pass over the judged rows: rows, unscorable rows by reason, and what the
    // scorable rows hold that training never saw.
    Column scorable = scorable();
    List<Column> counts = new ArrayList<>();
    counts.add(count(lit(1)));
    for (String r : reasonNames) {
      counts.add(sum(when(array_contains(col(REASONS), r), 1L).otherwise(0L)));
    }
    Map<String, Column> checks = noveltyChecks(good.columns(), transform);
    checks.values().forEach(c -> counts.add(sum(when(scorable.and(c), 1L).otherwise(0L))));
    counts.add(sum(when(scorable, 0L).otherwise(1L)));
    Row tally =
        judged.agg(counts.get(0), counts.subList(1, counts.size()).toArray(new Column[0])).first();
    long rowsRead = tally.getLong(0);
    Map<String, Long> byReason = new TreeMap<>();
    for (int i = 0; i < reasonNames.size(); i++) {
      long n = tally.isNullAt(1 + i) ? 0L : tally.getLong(1 + i);
      if (n > 0) {
        byReason.put(reasonNames.get(i), n);
      }
    }
    Map<String, Long> unseen = new TreeMap<>();
    Map<String, Long> outsideRange = new TreeMap<>();
    int at = 1 + reasonNames.size();
    for (String check : checks.keySet()) {
      long n = tally.isNullAt(at) ? 0L : tally.getLong(at);
      at++;
      String name = check.substring(check.indexOf(':') + 1);
      (check.startsWith("unseen:") ? unseen : outsideRange).put(name, n);
    }
    long rowsQuarantined = tally.isNullAt(at) ? 0L : tally.getLong(at);
    long rowsScored = rowsRead - rowsQuarantined;
    String key = spec.keyColumn();
    // The row-level scorer takes every column it is given: only the key and the features go in.
    List<Column> needed = new ArrayList<>();
    if (key != null && !key.isEmpty() && List.of(good.columns()).contains(key)) {
      needed.add(col(key));
    }
    meta.featureNames().forEach(f -> needed.add(SparkSql.column(f)));
    Dataset<Row> features = transform.apply(good).select(needed.toArray(new Column[0]));
    int iterations = meta.iterationEnd();
    Dataset<Row> scored =
        topK > 0
            ? ModelFiles.scoreWithContributions(
                booster, meta.featureNames(), features, iterations, topK)
            : ModelFiles.score(booster, meta.featureNames(), features, iterations);
    List<Column> out = new ArrayList<>();
    if (key != null && !key.isEmpty() && List.of(scored.columns()).contains(key)) {
      out.add(col(key));
    }
    out.add(col(ModelFiles.SCORE).as(PROBABILITY));
    out.add(col(ModelFiles.SCORE).geq(threshold).as(DECISION));
    out.add(lit(threshold).as("threshold"));
    out.add(lit(Locations.name(dir)).as("model"));
    out.add(lit(meta.featureSetVersion()).as("feature_set_version"));
    if (topK > 0) {
      out.add(col(ModelFiles.MARGIN));
      out.add(col(ModelFiles.BIAS));
      out.add(col(ModelFiles.CONTRIBUTIONS));
    }
    out.add(current_timestamp().as("scored_at"));
    SparkSql.replaceDelta(scored.select(out.toArray(new Column[0])), output, Map.of());
    String quarantine = output + "_quarantine";
    SparkSql.replaceDelta(
        bad.withColumn("reasons", concat_ws(";", col(REASONS))).drop(REASONS, SCORABLE),
        quarantine,
        Map.of());
    String report = Locations.join(config.workDir(), "reports", "score-report.json");
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("model", dir);
    json.put("feature_set_version", meta.featureSetVersion());
    json.put("threshold", threshold);
    json.put("operating_point", meta.operatingPoint());
    json.put("input", input);
    json.put("output", output);
    json.put("quarantine", quarantine);
    json.put("rows_read", rowsRead);
    json.put("rows_scored", rowsScored);
    json.put("rows_quarantined", rowsQuarantined);
    json.put("quarantined_by_reason", byReason);
    json.put("unseen_categories", unseen);
    json.put("outside_training_range", outsideRange);
    json.put("contributions_top_k", topK);
    JsonFiles.write(report, json);
    Log.info(
        String.format(
            "score: rows read %,d = scored %,d + quarantined %,d %s; unseen categories %s; outside"
                + " the training range %s; threshold %.4f -> %s",
            rowsRead,
            rowsScored,
            rowsQuarantined,
            byReason,
            unseen,
            outsideRange,
            threshold,
            output));
    return new Result(
        output,
        quarantine,
        rowsRead,
        rowsScored,
        rowsQuarantined,
        byReason,
        unseen,
        outsideRange,
        threshold,
        dir,
        report);
  }

  /**
   * A model as scoring needs it, read and checked on the driver.
   *
   * @param dir the model folder
   * @param meta its metadata
   * @param booster the booster bytes (checked to load)
   * @param transform the fitted transform shipped with the model
   * @param threshold the stored operating threshold, 0.5 for a model that stores none
   */
  record Model(
      String dir, ModelMetadata meta, byte[] booster, FittedTransform transform, double threshold) {

    /** Reads the model in {@code modelDir}; {@code job} ("score", "monitor") names the use. */
    static Model load(Storage storage, String modelDir, String job) {
      ModelStore models = new ModelStore(storage, Locations.parent(modelDir));
      String dir = models.resolve(modelDir);
      ModelMetadata meta = models.metadata(dir);
      if (!meta.objective().isEmpty() && !meta.objective().equals("binary:logistic")) {
        throw new IllegalArgumentException(
            "Cannot "
                + job
                + " with the model in "
                + dir
                + ": plumb "
                + job
                + " covers binary:logistic models (this one is "
                + meta.objective()
                + ")");
      }
      byte[] booster = models.booster(dir);
      FittedTransform transform = new FeatureStore(storage, "").transform(dir);
      double threshold = Double.isNaN(meta.threshold()) ? 0.5 : meta.threshold();
      return new Model(dir, meta, booster, transform, threshold);
    }
  }

  /** The raw rows at {@code input}: a Delta table, or else a Parquet folder. */
  static Dataset<Row> readRaw(SparkSession spark, Storage storage, String input, String job) {
    if (!storage.exists(input)) {
      throw new IllegalArgumentException(
          "Cannot "
              + job
              + ": input '"
              + input
              + "' does not exist (pass --input <Delta table or Parquet folder of raw rows>)");
    }
    boolean delta = storage.isDirectory(Locations.join(input, "_delta_log"));
    return spark.read().format(delta ? "delta" : "parquet").load(input);
  }

  /**
   * Raw rows judged for scoring: {@link #REASONS} holds why a row is unscorable ({@code
   * type:<column>}, {@code null:<column>}), {@link #SCORABLE} is true when it holds none, and each
   * contract column the transform reads holds its value as the contract's type.
   *
   * @param rows the judged rows, every column of the input kept
   * @param reasonNames every reason a row can get, in a fixed order
   */
  record Judged(Dataset<Row> rows, List<String> reasonNames) {}

  /**
   * Judges {@code raw} against the contract's columns that {@code spec} reads (the label aside): a
   * value that does not cast to the contract's type, a null where the contract requires a value.
   * Fails before any Spark job when a column is missing or of a type no cast can give.
   */
  static Judged judge(Dataset<Row> raw, DataContract contract, FeatureSetSpec spec) {
    List<Column> reasons = new ArrayList<>();
    List<String> reasonNames = new ArrayList<>();
    List<String> needed = spec.inputColumns();
    List<ColumnSpec> casts = new ArrayList<>();
    for (ColumnSpec c : contract.columns()) {
      if (!needed.contains(c.name())
          || c.name().equals(spec.labelColumn())
          || !List.of(raw.columns()).contains(c.name())) {
        continue;
      }
      Column value = col(c.name());
      Column cast = tryCast(c);
      reasons.add(when(value.isNotNull().and(cast.isNull()), lit("type:" + c.name())));
      reasonNames.add("type:" + c.name());
      if (!c.nullable()) {
        reasons.add(when(value.isNull(), lit("null:" + c.name())));
        reasonNames.add("null:" + c.name());
      }
      casts.add(c);
    }
    Column why =
        reasons.isEmpty()
            ? array().cast("array<string>")
            : filter(array(reasons.toArray(new Column[0])), x -> x.isNotNull());
    Column ok = lit(true);
    for (Column r : reasons) {
      ok = ok.and(r.isNull());
    }
    // The reasons are judged on the raw values, the transform sees the contract's types.
    Dataset<Row> judged = raw.withColumn(REASONS, why).withColumn(SCORABLE, ok);
    for (ColumnSpec c : casts) {
      judged = judged.withColumn(c.name(), tryCast(c));
    }
    // A column that is missing, or of a type no cast can give, fails here before anything runs.
    FittedTransform.checkSchema(spec, judged.schema(), false);
    return new Judged(judged, List.copyOf(reasonNames));
  }

  /** True for judged rows without a reason: the rows that are scored. */
  static Column scorable() {
    return col(SCORABLE);
  }

  /**
   * The column as the contract's type, null where the value does not cast (under ANSI mode too,
   * Spark 4's default, where a plain cast would fail the job).
   */
  static Column tryCast(ColumnSpec c) {
    return expr(
        "try_cast(" + SparkSql.quoted(c.name()) + " AS " + c.type().sparkType().sql() + ")");
  }

  /**
   * The novelty checks on scorable rows with these columns, by name: {@code unseen:<feature>} per
   * categorical feature (a non-null value not among its fitted levels) and {@code range:<column>}
   * per numeric raw input with a training range (a value below its min or above its max).
   */
  static Map<String, Column> noveltyChecks(String[] rowColumns, FittedTransform transform) {
    Map<String, Column> checks = new LinkedHashMap<>();
    List<String> columns = List.of(rowColumns);
    for (FeatureDef f : transform.spec().features()) {
      if (!(f instanceof FeatureDef.CategoricalFeature c)
          || !columns.contains(c.column())
          || !(transform.state().get(f.name()).get("levels") instanceof List<?> levels)) {
        continue;
      }
      Column v = col(c.column()).cast("string");
      checks.put("unseen:" + f.name(), v.isNotNull().and(not(v.isin(levels.toArray()))));
    }
    for (Map.Entry<String, List<Double>> e : transform.inputRanges().entrySet()) {
      if (columns.contains(e.getKey())) {
        Column v = col(e.getKey()).cast("double");
        checks.put("range:" + e.getKey(), v.lt(e.getValue().get(0)).or(v.gt(e.getValue().get(1))));
      }
    }
    return checks;
  }
}

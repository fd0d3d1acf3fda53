package dev.plumb.jobs;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;

import dev.plumb.evaluation.DriftReference;
import dev.plumb.evaluation.Gate;
import dev.plumb.evaluation.GateResult;
import dev.plumb.evaluation.Gates;
import dev.plumb.evaluation.MonitorSpec;
import dev.plumb.features.FeatureDef;
import dev.plumb.features.FeatureSetSpec;
import dev.plumb.features.FittedTransform;
import dev.plumb.features.Splits;
import dev.plumb.features.ingest.ColumnSpec;
import dev.plumb.features.ingest.ContractValidator;
import dev.plumb.features.ingest.DataContract;
import dev.plumb.features.io.JsonFiles;
import dev.plumb.features.io.Locations;
import dev.plumb.features.io.Log;
import dev.plumb.features.io.SparkSql;
import dev.plumb.features.io.Storage;
import dev.plumb.features.io.Storages;
import dev.plumb.features.store.FeatureStore;
import dev.plumb.training.ModelFiles;
import dev.plumb.training.ModelStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;

/**
 * {@code plumb monitor}: measures how new raw rows differ from a model's training reference ({@code
 * reference.json}, the train split's distributions) and holds the differences to the gates of
 * {@code monitor.spec}. The rows are judged as {@code plumb score} judges them (contract types and
 * nulls, unseen categories, values outside the training range), the scorable ones go through the
 * model's own fitted transform and booster, and every metric comes from one pass over the input:
 * the booster's pass ({@link ModelFiles#scoreIntoBins}) counts the judged rows' flags (contract,
 * novelty) over every row, and every feature's and the score's bins on the reference's edges and
 * the positive rate over the scored rows. A feature is flagged when a failed gate blames one of its
 * metrics; the source columns that moved are named.
 */
final class MonitorStage {

  static final String REPORT = "monitor-report.json";
  static final String HTML = "monitor-report.html";
  static final String PROMETHEUS = "monitor.prom";

  /** Rows breaking any per-row rule of the contract. */
  private static final String VIOLATION = "__plumb_contract_violation";

  /** Prefix of the per-column out-of-contract flags. */
  private static final String OUT_OF_CONTRACT = "__plumb_out_of_contract_";

  /** Prefix of the per-check novelty flags (scorable rows only). */
  private static final String NOVELTY = "__plumb_novelty_";

  /**
   * One flagged feature.
   *
   * @param feature the feature definition's name
   * @param type its type in the spec ({@code numeric}, {@code categorical}, {@code window}, ...)
   * @param inputs the raw source columns it reads
   * @param movedInputs those of its inputs that moved
   * @param metrics its metrics that failed a gate
   */
  record Flagged(
      String feature,
      String type,
      List<String> inputs,
      List<String> movedInputs,
      List<String> metrics) {}

  /**
   * What monitoring measured and decided.
   *
   * @param modelDir the model folder
   * @param modelName the model's name in reports and labels
   * @param input the raw input
   * @param referenceSource where the training reference came from
   * @param threshold the model's operating threshold
   * @param rows rows read
   * @param rowsScored rows the model scored (the rest the contract makes unscorable)
   * @param metrics every metric, by its MLflow name
   * @param gates each gate's result, in the spec's order
   * @param passed true when every gate passed
   * @param flagged the flagged features, in spec order
   * @param movedColumns the raw source columns that moved
   * @param report the JSON report
   * @param html the HTML report
   * @param prometheus the Prometheus text file
   * @param pushed true when pushed, false when a push failed, null when no gateway is configured
   */
  record Result(
      String modelDir,
      String modelName,
      String input,
      String referenceSource,
      double threshold,
      long rows,
      long rowsScored,
      Map<String, Double> metrics,
      List<GateResult> gates,
      boolean passed,
      List<Flagged> flagged,
      List<String> movedColumns,
      String report,
      String html,
      String prometheus,
      Boolean pushed) {}

  /** One measured value: its metric name, Prometheus family and label, and the feature it is of. */
  private record Measure(
      String metric, String family, String labelName, String labelValue, String feature) {}

  private MonitorStage() {}

  /** Where the reports go: {@code <work_dir>/reports/monitor}. */
  static String reportDir(PlumbConfig config) {
    return Locations.join(config.workDir(), "reports", "monitor");
  }

  /**
   * The model's name in reports, labels and the Pushgateway group: the MLflow reference as given
   * ({@code runs:/...}, {@code models:/...}), else the model folder's name.
   */
  static String modelName(String ref, String modelDir) {
    return ref.startsWith("runs:/") || ref.startsWith("models:/") ? ref : Locations.name(modelDir);
  }

  static Result run(
      SparkSession spark, PlumbConfig config, String modelDir, String modelRef, String input) {
    MonitorSpec monitorSpec = config.monitorSpec();
    Storage storage = Storages.of(spark);
    ScoreStage.Model model = ScoreStage.Model.load(storage, modelDir, "monitor");
    String dir = model.dir();
    String name = modelName(modelRef, dir);
    FittedTransform transform = model.transform();
    FeatureSetSpec spec = transform.spec();
    DataContract contract = IngestStage.contract(config);

    DriftReference reference = TrainingReference.read(storage, dir);
    String referenceSource = Locations.join(dir, ModelStore.REFERENCE);
    if (reference == null) {
      String featureDir = FeaturesStage.resolve(config, model.meta().featureSetVersion());
      Log.info(
          "monitor: the model at "
              + dir
              + " has no "
              + ModelStore.REFERENCE
              + " (trained before plumb monitor): measuring its training reference on the train"
              + " split of feature set "
              + featureDir);
      Dataset<Row> train =
          spark
              .read()
              .format("delta")
              .load(FeatureStore.data(featureDir))
              .filter(col(Splits.COLUMN).equalTo(Splits.TRAIN));
      reference =
          TrainingReference.measure(
              train,
              FeaturesStage.splitRows(config, featureDir, Splits.TRAIN),
              model.booster(),
              model.meta().featureNames(),
              model.meta().iterationEnd(),
              model.threshold(),
              config.integer("train.reference_max_rows"));
      referenceSource = "the train split of " + featureDir + " (measured now)";
    }

    // Contract rules on every declared column the input has, on the values ingest would judge:
    // null strings read as null, then the contract's type.
    Dataset<Row> raw = ScoreStage.readRaw(spark, storage, input, "monitor");
    List<String> rawColumns = List.of(raw.columns());
    for (ColumnSpec c : contract.columns()) {
      if (rawColumns.contains(c.name())
          && raw.schema().apply(c.name()).dataType().equals(DataTypes.StringType)
          && !contract.nullStrings().isEmpty()) {
        Column v = col(c.name());
        raw =
            raw.withColumn(
                c.name(),
                when(v.isin(contract.nullStrings().toArray()), lit(null).cast("string"))
                    .otherwise(v));
      }
    }
    Column violation = lit(false);
    List<String> boundedColumns = new ArrayList<>();
    for (ColumnSpec c : contract.columns()) {
      if (!rawColumns.contains(c.name())) {
        continue;
      }
      Column cast = ScoreStage.tryCast(c);
      violation = violation.or(col(c.name()).isNotNull().and(cast.isNull()));
      Column outside = lit(false);
      for (Map.Entry<String, Column> rule : ContractValidator.columnRules(c, cast).entrySet()) {
        Column broken = coalesce(rule.getValue(), lit(false));
        violation = violation.or(broken);
        if (rule.getKey().startsWith(ContractValidator.OUT_OF_RANGE + ":")
            || rule.getKey().startsWith(ContractValidator.NOT_ALLOWED + ":")) {
          outside = outside.or(broken);
        }
      }
      if (c.min() != null || c.max() != null || !c.allowed().isEmpty()) {
        raw = raw.withColumn(OUT_OF_CONTRACT + boundedColumns.size(), outside);
        boundedColumns.add(c.name());
      }
    }
    raw = raw.withColumn(VIOLATION, violation);

    // One pass. Every judged row goes on to the booster's pass, which counts, over all of them:
    // rows, contract violations, values out of the contract's range, and what the scorable rows
    // hold that training never saw (each a boolean column); and scores only the scorable rows,
    // counting every feature's and the score's bins on the reference's edges. The window features
    // count only the scorable rows (the values they would have on their own), so the rows that
    // cannot be scored need no filter, and no second aggregation, before the window's shuffle.
    ScoreStage.Judged judged = ScoreStage.judge(raw, contract, spec);
    Dataset<Row> rows = judged.rows();
    Column scorable = ScoreStage.scorable();
    Map<String, Column> novelty =
        ScoreStage.noveltyChecks(
            rows.drop(ScoreStage.REASONS, ScoreStage.SCORABLE).columns(), transform);
    List<String> flags = new ArrayList<>();
    flags.add(VIOLATION);
    for (int i = 0; i < boundedColumns.size(); i++) {
      flags.add(OUT_OF_CONTRACT + i);
    }
    int noveltyAt = flags.size();
    for (Column check : novelty.values()) {
      String flag = NOVELTY + (flags.size() - noveltyAt);
      rows = rows.withColumn(flag, coalesce(scorable.and(check), lit(false)));
      flags.add(flag);
    }
    // Only the model's features (and the flags) go through the booster: a row-level scorer takes
    // every column of its input, and without this projection Spark could prune none of the raw
    // ones.
    List<String> featureNames = model.meta().featureNames();
    List<String> carried = new ArrayList<>(flags);
    carried.add(ScoreStage.SCORABLE);
    List<Column> selected = new ArrayList<>();
    featureNames.forEach(f -> selected.add(SparkSql.column(f)));
    carried.forEach(f -> selected.add(SparkSql.column(f)));
    Dataset<Row> features =
        transform
            .apply(rows.drop(ScoreStage.REASONS), scorable, carried)
            .select(selected.toArray(new Column[0]));
    ModelFiles.BinCounts binned =
        ModelFiles.scoreIntoBins(
            model.booster(),
            featureNames,
            features,
            model.meta().iterationEnd(),
            reference.featureCuts(),
            reference.scoreCuts(),
            reference.threshold(),
            ScoreStage.SCORABLE,
            flags);
    DriftReference.Profile profile =
        reference.profile(
            binned.rows(), binned.features(), binned.score(), binned.atLeastThreshold());
    long rowsRead = binned.inputRows();
    long violations = binned.flags().get(VIOLATION);
    Map<String, Long> outOfContract = new LinkedHashMap<>();
    for (int i = 0; i < boundedColumns.size(); i++) {
      outOfContract.put(boundedColumns.get(i), binned.flags().get(OUT_OF_CONTRACT + i));
    }
    Map<String, Long> noveltyCounts = new LinkedHashMap<>();
    int flagAt = noveltyAt;
    for (String check : novelty.keySet()) {
      noveltyCounts.put(check, binned.flags().get(flags.get(flagAt++)));
    }
    long rowsScored = binned.rows();

    Map<String, FeatureDef> definitionOf = definitions(transform);
    List<Measure> measures = new ArrayList<>();
    Map<String, Double> metrics = new LinkedHashMap<>();
    Map<String, Double> psi = reference.featurePsi(profile);
    for (String f : reference.featureCuts().keySet()) {
      String owner = definitionOf.containsKey(f) ? definitionOf.get(f).name() : null;
      double nullShare = profile.featureShares().get(f)[0];
      double change = nullShare - reference.featureShares().get(f)[0];
      put(
          metrics,
          measures,
          "feature." + safe(f) + ".psi",
          "feature_psi",
          "feature",
          f,
          owner,
          psi.get(f));
      put(
          metrics,
          measures,
          "feature." + safe(f) + ".null_share",
          "feature_null_share",
          "feature",
          f,
          owner,
          nullShare);
      put(
          metrics,
          measures,
          "feature." + safe(f) + ".null_share_change",
          "feature_null_share_change",
          "feature",
          f,
          owner,
          change);
    }
    for (Map.Entry<String, Long> e : noveltyCounts.entrySet()) {
      String what = e.getKey().substring(e.getKey().indexOf(':') + 1);
      double share = rowsScored == 0 ? Double.NaN : (double) e.getValue() / rowsScored;
      if (e.getKey().startsWith("unseen:")) {
        put(
            metrics,
            measures,
            "feature." + safe(what) + ".unseen_share",
            "feature_unseen_share",
            "feature",
            what,
            what,
            share);
      } else {
        put(
            metrics,
            measures,
            "column." + safe(what) + ".outside_training_range_share",
            "column_outside_training_range_share",
            "column",
            what,
            null,
            share);
      }
    }
    for (Map.Entry<String, Long> e : outOfContract.entrySet()) {
      put(
          metrics,
          measures,
          "column." + safe(e.getKey()) + ".out_of_contract_share",
          "column_out_of_contract_share",
          "column",
          e.getKey(),
          null,
          share(e.getValue(), rowsRead));
    }
    put(metrics, measures, "score.psi", "score_psi", null, null, null, reference.scorePsi(profile));
    put(
        metrics,
        measures,
        "score.positive_rate",
        "score_positive_rate",
        null,
        null,
        null,
        profile.positiveRate());
    put(
        metrics,
        measures,
        "score.positive_rate_change",
        "score_positive_rate_change",
        null,
        null,
        null,
        profile.positiveRate() - reference.positiveRate());
    put(
        metrics,
        measures,
        "contract.quarantine_rate",
        "contract_quarantine_rate",
        null,
        null,
        null,
        share(violations, rowsRead));
    put(metrics, measures, "rows", "rows", null, null, null, (double) rowsRead);

    // Gates, then the features they blame and the source columns that moved.
    List<GateResult> gates = Gates.check(monitorSpec.gates(), metrics);
    Map<String, String> featureOfMetric = new LinkedHashMap<>();
    measures.forEach(
        m -> {
          if (m.feature() != null) {
            featureOfMetric.put(m.metric(), m.feature());
          }
        });
    Map<String, Set<String>> blamed = new LinkedHashMap<>();
    for (int i = 0; i < gates.size(); i++) {
      if (gates.get(i).passed()) {
        continue;
      }
      for (String metric : Gates.failing(monitorSpec.gates().get(i), metrics)) {
        String feature = featureOfMetric.get(metric);
        if (feature != null) {
          blamed.computeIfAbsent(feature, k -> new LinkedHashSet<>()).add(metric);
        }
      }
    }
    List<Flagged> flagged = flag(spec, blamed);
    List<String> moved =
        List.copyOf(
            new TreeSet<>(flagged.stream().flatMap(f -> f.movedInputs().stream()).toList()));
    boolean passed = gates.stream().allMatch(GateResult::passed);

    String out = reportDir(config);
    String reportPath = Locations.join(out, REPORT);
    String htmlPath = Locations.join(out, HTML);
    String promPath = Locations.join(out, PROMETHEUS);
    Result partial =
        new Result(
            dir,
            name,
            input,
            referenceSource,
            model.threshold(),
            rowsRead,
            rowsScored,
            metrics,
            gates,
            passed,
            flagged,
            moved,
            reportPath,
            htmlPath,
            promPath,
            null);
    String prometheus = prometheus(partial, measures, spec);
    JsonFiles.writeText(promPath, prometheus);
    JsonFiles.write(reportPath, json(partial, reference, profile, monitorSpec));
    JsonFiles.writeText(htmlPath, html(partial));
    Boolean pushed = null;
    String gateway = config.string("monitor.pushgateway_url");
    if (!gateway.isEmpty()) {
      pushed =
          PrometheusText.push(
              PrometheusText.pushUrl(gateway, "plumb_monitor", Map.of("model", name)),
              prometheus,
              Duration.ofSeconds(config.integer("tracking.timeout_seconds")));
    }
    Log.info(
        String.format(
            "monitor: %,d rows (%,d scored) against the training reference of %s: gates %s;"
                + " flagged features %s; moved columns %s",
            rowsRead,
            rowsScored,
            name,
            passed
                ? "passed"
                : "FAILED "
                    + gates.stream().filter(g -> !g.passed()).map(GateResult::name).toList(),
            flagged.stream().map(Flagged::feature).toList(),
            moved));
    return new Result(
        dir,
        name,
        input,
        referenceSource,
        model.threshold(),
        rowsRead,
        rowsScored,
        metrics,
        gates,
        passed,
        flagged,
        moved,
        reportPath,
        htmlPath,
        promPath,
        pushed);
  }

  private static void put(
      Map<String, Double> metrics,
      List<Measure> measures,
      String metric,
      String family,
      String labelName,
      String labelValue,
      String feature,
      double value) {
    metrics.put(metric, value);
    measures.add(new Measure(metric, family, labelName, labelValue, feature));
  }

  private static double share(long n, long of) {
    return of == 0 ? Double.NaN : (double) n / of;
  }

  /** A name as MLflow accepts it in a metric name. */
  static String safe(String name) {
    return name.replaceAll("[^A-Za-z0-9_.\\- /]", "_");
  }

  /** The feature definition behind each model feature (output column). */
  static Map<String, FeatureDef> definitions(FittedTransform transform) {
    Map<String, FeatureDef> out = new LinkedHashMap<>();
    for (FeatureDef f : transform.spec().features()) {
      for (FeatureDef.Output o : f.outputs(transform.state().getOrDefault(f.name(), Map.of()))) {
        out.put(o.name(), f);
      }
    }
    return out;
  }

  /**
   * The flagged features, in spec order, with the source columns that moved: a column moved when a
   * flagged feature reads it alone; a flagged feature of several inputs (a ratio, a difference, a
   * window over a column by another) names those of its inputs that moved.
   *
   * @param blamed per feature definition name, its metrics that failed a gate
   */
  static List<Flagged> flag(FeatureSetSpec spec, Map<String, Set<String>> blamed) {
    Set<String> moved = new TreeSet<>();
    for (FeatureDef f : spec.features()) {
      // A window reads its rows' neighbours too (and their event time): it can move when the input
      // holds fewer rows per window (a sample, a partial day) without any column moving.
      if (blamed.containsKey(f.name())
          && f.inputs().size() == 1
          && !(f instanceof FeatureDef.WindowFeature)) {
        moved.add(f.inputs().get(0));
      }
    }
    List<Flagged> out = new ArrayList<>();
    for (FeatureDef f : spec.features()) {
      if (blamed.containsKey(f.name())) {
        out.add(
            new Flagged(
                f.name(),
                String.valueOf(f.canonical().get("type")),
                f.inputs(),
                f.inputs().stream().filter(moved::contains).toList(),
                List.copyOf(blamed.get(f.name()))));
      }
    }
    return out;
  }

  /** The Prometheus gauges of a result. */
  static String prometheus(Result r, List<Measure> measures, FeatureSetSpec spec) {
    PrometheusText text = new PrometheusText();
    for (Measure m : measures) {
      Map<String, String> labels = new LinkedHashMap<>();
      labels.put("model", r.modelName());
      if (m.labelName() != null) {
        labels.put(m.labelName(), m.labelValue());
      }
      text.gauge(
          "plumb_monitor_" + m.family(), help(m.family()), labels, r.metrics().get(m.metric()));
    }
    Set<String> flagged = new TreeSet<>(r.flagged().stream().map(Flagged::feature).toList());
    for (FeatureDef f : spec.features()) {
      text.gauge(
          "plumb_monitor_feature_flagged",
          "1 when a failed gate blames one of the feature's metrics",
          labels(r.modelName(), "feature", f.name()),
          flagged.contains(f.name()) ? 1 : 0);
    }
    for (GateResult g : r.gates()) {
      text.gauge(
          "plumb_monitor_gate_passed",
          "1 when the monitor gate passed, else 0",
          labels(r.modelName(), "gate", g.name()),
          g.passed() ? 1 : 0);
    }
    text.gauge(
        "plumb_monitor_passed",
        "1 when every monitor gate passed, else 0",
        labels(r.modelName(), null, null),
        r.passed() ? 1 : 0);
    return text.render();
  }

  private static Map<String, String> labels(String model, String name, String value) {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put("model", model);
    if (name != null) {
      labels.put(name, value);
    }
    return labels;
  }

  private static String help(String family) {
    return switch (family) {
      case "feature_psi" -> "PSI of the feature against the model's training reference";
      case "feature_null_share" -> "Share of scored rows where the feature is null";
      case "feature_null_share_change" -> "Null share minus the training reference's";
      case "feature_unseen_share" -> "Share of scored rows with a category unseen in training";
      case "column_out_of_contract_share" ->
          "Share of rows outside the contract's min/max or allowed values";
      case "column_outside_training_range_share" ->
          "Share of scored rows outside the train split's min and max";
      case "score_psi" -> "PSI of the model's score against the training reference";
      case "score_positive_rate" -> "Share of scored rows at or above the operating threshold";
      case "score_positive_rate_change" -> "Positive rate minus the training reference's";
      case "contract_quarantine_rate" -> "Share of rows breaking a per-row contract rule";
      case "rows" -> "Rows read";
      default -> family;
    };
  }

  private static Map<String, Object> json(
      Result r, DriftReference reference, DriftReference.Profile profile, MonitorSpec spec) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("model", r.modelDir());
    m.put("model_name", r.modelName());
    m.put("input", r.input());
    m.put("reference", r.referenceSource());
    m.put("reference_rows", reference.rows());
    m.put("reference_positive_rate", reference.positiveRate());
    m.put("threshold", r.threshold());
    m.put("rows", r.rows());
    m.put("rows_scored", r.rowsScored());
    m.put("passed", r.passed());
    m.put("metrics", r.metrics());
    List<Object> gates = new ArrayList<>();
    for (int i = 0; i < r.gates().size(); i++) {
      GateResult g = r.gates().get(i);
      Gate gate = spec.gates().get(i);
      Map<String, Object> j = new LinkedHashMap<>();
      j.put("name", g.name());
      j.put("metric", g.metric());
      j.put("at_least", gate.atLeast());
      j.put("at_most", gate.atMost());
      j.put("passed", g.passed());
      j.put("failing_metrics", Gates.failing(gate, r.metrics()));
      j.put("detail", g.detail());
      gates.add(j);
    }
    m.put("gates", gates);
    List<Object> flagged = new ArrayList<>();
    for (Flagged f : r.flagged()) {
      Map<String, Object> j = new LinkedHashMap<>();
      j.put("feature", f.feature());
      j.put("type", f.type());
      j.put("inputs", f.inputs());
      j.put("moved_inputs", f.movedInputs());
      j.put("failed_metrics", f.metrics());
      if (f.type().equals("window") && f.movedInputs().isEmpty()) {
        j.put(
            "note",
            "none of its inputs moved on its own: a window also moves when the input holds fewer"
                + " or more rows per window than training did (a sample, a partial day)");
      } else if (f.inputs().size() > 1 && f.movedInputs().isEmpty()) {
        j.put("note", "none of its inputs moved on its own: the relation between them changed");
      }
      flagged.add(j);
    }
    m.put("flagged_features", flagged);
    m.put("moved_columns", r.movedColumns());
    Map<String, Object> shares = new LinkedHashMap<>();
    for (String f : reference.featureCuts().keySet()) {
      Map<String, Object> j = new LinkedHashMap<>();
      j.put("cuts", reference.featureCuts().get(f));
      j.put("reference", reference.featureShares().get(f));
      j.put("current", profile.featureShares().get(f));
      shares.put(f, j);
    }
    Map<String, Object> score = new LinkedHashMap<>();
    score.put("cuts", reference.scoreCuts());
    score.put("reference", reference.scoreShares());
    score.put("current", profile.scoreShares());
    m.put("feature_shares", shares);
    m.put("score_shares", score);
    return m;
  }

  private static String html(Result r) {
    StringBuilder sb = new StringBuilder();
    sb.append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>")
        .append(esc("Plumb monitor: " + r.modelName()))
        .append("</title><style>body{font-family:sans-serif;margin:2em}table{border-collapse:")
        .append("collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}")
        .append(".fail{color:#b00020;font-weight:bold}.pass{color:#1b5e20}</style></head><body>");
    sb.append("<h1>").append(esc("Plumb monitor: " + r.modelName())).append("</h1>");
    sb.append("<p>Input ")
        .append(esc(r.input()))
        .append(": ")
        .append(String.format("%,d rows read, %,d scored", r.rows(), r.rowsScored()))
        .append(". Reference: ")
        .append(esc(r.referenceSource()))
        .append(". Threshold ")
        .append(String.format(java.util.Locale.ROOT, "%.4f", r.threshold()))
        .append(".</p>");
    sb.append("<p class=\"")
        .append(r.passed() ? "pass\">All gates passed" : "fail\">Gates FAILED")
        .append("</p>");
    sb.append("<h2>Gates</h2><table><tr><th>gate</th><th>result</th><th>detail</th></tr>");
    for (GateResult g : r.gates()) {
      sb.append("<tr><td>")
          .append(esc(g.name()))
          .append("</td><td class=\"")
          .append(g.passed() ? "pass\">passed" : "fail\">FAILED")
          .append("</td><td>")
          .append(esc(g.detail()))
          .append("</td></tr>");
    }
    sb.append("</table><h2>Flagged features</h2>");
    if (r.flagged().isEmpty()) {
      sb.append("<p>None.</p>");
    } else {
      sb.append("<table><tr><th>feature</th><th>type</th><th>source columns</th>")
          .append("<th>moved</th><th>failed metrics</th></tr>");
      for (Flagged f : r.flagged()) {
        sb.append("<tr><td>")
            .append(esc(f.feature()))
            .append("</td><td>")
            .append(esc(f.type()))
            .append("</td><td>")
            .append(esc(String.join(", ", f.inputs())))
            .append("</td><td>")
            .append(esc(String.join(", ", f.movedInputs())))
            .append("</td><td>")
            .append(esc(String.join(", ", f.metrics())))
            .append("</td></tr>");
      }
      sb.append("</table><p>Moved source columns: ")
          .append(esc(String.join(", ", r.movedColumns())))
          .append("</p>");
    }
    sb.append("<h2>Metrics</h2><table><tr><th>metric</th><th>value</th></tr>");
    r.metrics()
        .forEach(
            (k, v) ->
                sb.append("<tr><td>")
                    .append(esc(k))
                    .append("</td><td>")
                    .append(
                        Double.isFinite(v)
                            ? String.format(java.util.Locale.ROOT, "%.6g", v)
                            : "n/a")
                    .append("</td></tr>"));
    sb.append("</table></body></html>\n");
    return sb.toString();
  }

  private static String esc(String s) {
    return s.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\"", "&quot;");
  }
}

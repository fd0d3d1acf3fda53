package dev.plumb.features;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;

/**
 * Builds a feature set from clean rows: assigns splits, fits the transform on the training split
 * only, and applies it to every split.
 */
public final class FeatureSetBuilder {

  private final FeatureSetSpec spec;

  public FeatureSetBuilder(FeatureSetSpec spec) {
    this.spec = spec;
  }

  /** Checks the input schema before any Spark job runs. */
  public void checkSchema(StructType schema) {
    FittedTransform.checkSchema(spec, schema, true);
  }

  /**
   * Fits every stateful definition on the rows of the training split only, all in one pass; no
   * Spark job runs when nothing needs fitting.
   */
  public FittedTransform fit(Dataset<Row> withSplit) {
    List<Column> aggs = new ArrayList<>();
    for (FeatureDef f : spec.features()) {
      aggs.addAll(f.fitAggregates());
    }
    // The training range of each numeric raw input, in the same pass.
    List<String> ranged = new ArrayList<>();
    for (String c : spec.inputColumns()) {
      if (c.equals(spec.labelColumn())
          || c.equals(spec.keyColumn())
          || !List.of(withSplit.columns()).contains(c)
          || !(withSplit.schema().apply(c).dataType()
              instanceof org.apache.spark.sql.types.NumericType)) {
        continue;
      }
      String v =
          "CASE WHEN isnan(CAST(`"
              + c
              + "` AS DOUBLE)) THEN NULL ELSE CAST(`"
              + c
              + "` AS DOUBLE) END";
      aggs.add(expr("min(" + v + ")").as("__range__" + c + "__min"));
      aggs.add(expr("max(" + v + ")").as("__range__" + c + "__max"));
      ranged.add(c);
    }
    Map<String, Map<String, Object>> state = new LinkedHashMap<>();
    Map<String, List<Double>> ranges = new LinkedHashMap<>();
    if (!aggs.isEmpty()) {
      Row row =
          withSplit
              .filter(col(Splits.COLUMN).equalTo(lit(Splits.TRAIN)))
              .agg(aggs.get(0), aggs.subList(1, aggs.size()).toArray(new Column[0]))
              .first();
      for (FeatureDef f : spec.features()) {
        state.put(f.name(), f.fitState(row));
      }
      for (String c : ranged) {
        Object min = row.get(row.fieldIndex("__range__" + c + "__min"));
        Object max = row.get(row.fieldIndex("__range__" + c + "__max"));
        if (min != null && max != null) {
          ranges.put(c, List.of(((Number) min).doubleValue(), ((Number) max).doubleValue()));
        }
      }
    }
    return new FittedTransform(spec, state, ranges);
  }

  /**
   * The feature table: key, label (double), split and one double column per feature, fitted on the
   * training split only.
   */
  public FeatureSet build(Dataset<Row> clean) {
    checkSchema(clean.schema());
    Dataset<Row> withSplit = Splits.assign(clean, spec);
    FittedTransform transform = fit(withSplit);
    return new FeatureSet(transform.apply(withSplit), transform);
  }

  /**
   * Per-feature null counts and split sizes of a built table, in one pass: the statistics of the
   * manifest.
   */
  public Map<String, Object> statistics(Dataset<Row> table, List<String> featureNames) {
    List<Column> aggs = new ArrayList<>();
    for (String s : List.of(Splits.TRAIN, Splits.VALIDATION, Splits.TEST)) {
      aggs.add(sum(when(col(Splits.COLUMN).equalTo(s), 1L).otherwise(0L)).as("split_" + s));
    }
    for (String f : featureNames) {
      aggs.add(sum(when(col(f).isNull().or(col(f).isNaN()), 1L).otherwise(0L)).as("null_" + f));
    }
    aggs.add(count(lit(1)).as("rows"));
    Row r = table.agg(aggs.get(0), aggs.subList(1, aggs.size()).toArray(new Column[0])).first();
    Map<String, Object> splits = new LinkedHashMap<>();
    for (String s : List.of(Splits.TRAIN, Splits.VALIDATION, Splits.TEST)) {
      splits.put(s, r.getLong(r.fieldIndex("split_" + s)));
    }
    Map<String, Object> nulls = new LinkedHashMap<>();
    for (String f : featureNames) {
      nulls.put(f, r.getLong(r.fieldIndex("null_" + f)));
    }
    Map<String, Object> stats = new LinkedHashMap<>();
    stats.put("rows", r.getLong(r.fieldIndex("rows")));
    stats.put("split_sizes", splits);
    stats.put("null_counts", nulls);
    return stats;
  }

  /**
   * The label-leakage guard: each feature alone, as a score on the training split, must not predict
   * the label better than {@code maxAuc} (ROC-AUC, either direction). Features in {@code allowed}
   * are exempt. Returns each feature's single-feature ROC-AUC.
   */
  public Map<String, Double> checkLeakage(
      Dataset<Row> table, List<String> featureNames, double maxAuc, List<String> allowed) {
    Dataset<Row> train = table.filter(col(Splits.COLUMN).equalTo(lit(Splits.TRAIN)));
    Map<String, Double> auc = new LinkedHashMap<>();
    List<String> leaks = new ArrayList<>();
    for (String f : featureNames) {
      Dataset<Row> scored =
          train.select(
              col(spec.labelColumn()).cast("double").as("y"),
              when(col(f).isNull().or(col(f).isNaN()), lit(-Double.MAX_VALUE))
                  .otherwise(col(f).cast("double"))
                  .as("s"));
      double a =
          new org.apache.spark.ml.evaluation.BinaryClassificationEvaluator()
              .setLabelCol("y")
              .setRawPredictionCol("s")
              .setNumBins(0)
              .evaluate(scored);
      double either = Math.max(a, 1 - a);
      auc.put(f, either);
      if (either > maxAuc && !allowed.contains(f)) {
        leaks.add(String.format("'%s' (ROC-AUC %.4f)", f, either));
      }
    }
    if (!leaks.isEmpty()) {
      throw FeatureErrors.invalidSpec(
          "build feature set '" + spec.name() + "'",
          "feature(s) "
              + String.join(", ", leaks)
              + " alone predict the label on the train split above the bound "
              + maxAuc
              + ": likely label leakage",
          "drop the feature, or accept it explicitly with features.allow_leaky=<name>");
    }
    return auc;
  }

  /** A built feature set: the table and the transform fitted on its training split. */
  public record FeatureSet(Dataset<Row> table, FittedTransform transform) {}
}

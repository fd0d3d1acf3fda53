package dev.plumb.features;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import dev.plumb.features.io.SparkSql;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.expressions.Window;
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
   * The aggregations behind {@link #statistics}: rows per split, nulls (or NaN) per feature and all
   * rows; observed on the rows as they are written, so the statistics take no pass of their own.
   */
  public List<Column> statisticsAggregations(List<String> featureNames) {
    List<Column> aggs = new ArrayList<>();
    for (String s : List.of(Splits.TRAIN, Splits.VALIDATION, Splits.TEST)) {
      aggs.add(sum(when(col(Splits.COLUMN).equalTo(s), 1L).otherwise(0L)).as("split_" + s));
    }
    for (String f : featureNames) {
      Column c = SparkSql.column(f);
      aggs.add(sum(when(c.isNull().or(c.isNaN()), 1L).otherwise(0L)).as("null_" + f));
    }
    aggs.add(count(lit(1)).as("rows"));
    return aggs;
  }

  /**
   * Per-feature null counts and split sizes of a built table, the manifest's statistics, from the
   * values of {@link #statisticsAggregations} (by name).
   */
  public Map<String, Object> statistics(Map<String, Object> values, List<String> featureNames) {
    Map<String, Object> splits = new LinkedHashMap<>();
    for (String s : List.of(Splits.TRAIN, Splits.VALIDATION, Splits.TEST)) {
      splits.put(s, ((Number) values.get("split_" + s)).longValue());
    }
    Map<String, Object> nulls = new LinkedHashMap<>();
    for (String f : featureNames) {
      nulls.put(f, ((Number) values.get("null_" + f)).longValue());
    }
    Map<String, Object> stats = new LinkedHashMap<>();
    stats.put("rows", ((Number) values.get("rows")).longValue());
    stats.put("split_sizes", splits);
    stats.put("null_counts", nulls);
    return stats;
  }

  /**
   * The label-leakage guard: each feature alone, as a score on the training split, must not predict
   * the label better than {@code maxAuc} (ROC-AUC, either direction). Features in {@code allowed}
   * are exempt. Returns each feature's single-feature ROC-AUC.
   *
   * <p>Every feature's ROC-AUC is exact (ties count one half: the Mann-Whitney U over the rows,
   * what {@code BinaryClassificationEvaluator} with {@code numBins = 0} gives) and comes from one
   * scan of the training split: each partition counts every feature's positives and negatives per
   * distinct value ({@link SingleFeatureAuc}; above its bound of distinct values, a Spark
   * aggregation and running sum instead: {@link #aucByAggregation}). A null or NaN feature value
   * ranks below every other value.
   */
  public Map<String, Double> checkLeakage(
      Dataset<Row> table, List<String> featureNames, double maxAuc, List<String> allowed) {
    Map<String, Double> auc = new LinkedHashMap<>();
    if (!featureNames.isEmpty()) {
      Column[] values = new Column[featureNames.size()];
      for (int i = 0; i < values.length; i++) {
        Column f = SparkSql.column(featureNames.get(i));
        values[i] =
            when(f.isNull().or(f.cast("double").isNaN()), lit(-Double.MAX_VALUE))
                .otherwise(f.cast("double"));
      }
      Column positive = col(spec.labelColumn()).cast("double").gt(0.5);
      Dataset<Row> train = table.filter(col(Splits.COLUMN).equalTo(lit(Splits.TRAIN)));
      // Counted where the rows are read when every feature's distinct values fit a partition's
      // table; else the same counts through a Spark aggregation and window.
      double[] byIndex = SingleFeatureAuc.of(train, positive, values);
      if (byIndex == null) {
        byIndex = aucByAggregation(train, positive, values);
      }
      for (int i = 0; i < byIndex.length; i++) {
        auc.put(featureNames.get(i), byIndex[i]);
      }
    }
    List<String> leaks = new ArrayList<>();
    for (Map.Entry<String, Double> e : auc.entrySet()) {
      double either = Math.max(e.getValue(), 1 - e.getValue());
      e.setValue(either);
      if (either > maxAuc && !allowed.contains(e.getKey())) {
        leaks.add(String.format("'%s' (ROC-AUC %.4f)", e.getKey(), either));
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

  /**
   * {@link SingleFeatureAuc}'s values through Spark: the rows unpivoted to (feature, value, label),
   * counted per distinct value, and each value's positives credited with the negatives below it by
   * a running sum per feature.
   */
  static double[] aucByAggregation(Dataset<Row> train, Column positive, Column[] values) {
    Column[] pairs = new Column[values.length];
    for (int i = 0; i < pairs.length; i++) {
      pairs[i] = struct(lit(i).as("f"), values[i].as("s"));
    }
    Dataset<Row> counted =
        train
            .select(positive.as("y"), explode(array(pairs)).as("p"))
            .groupBy(col("p.f").as("f"), col("p.s").as("s"))
            .agg(
                sum(when(col("y"), 1L).otherwise(0L)).as("pos"),
                sum(when(col("y"), 0L).otherwise(1L)).as("neg"));
    Column negativesBelow =
        coalesce(
            sum(col("neg"))
                .over(
                    Window.partitionBy(col("f"))
                        .orderBy(col("s"))
                        .rowsBetween(Window.unboundedPreceding(), -1)),
            lit(0L));
    List<Row> perFeature =
        counted
            .withColumn(
                "u",
                col("pos").cast("double").multiply(negativesBelow.plus(col("neg").multiply(0.5))))
            .groupBy(col("f"))
            .agg(sum(col("u")).as("u"), sum(col("pos")).as("p"), sum(col("neg")).as("n"))
            .collectAsList();
    double[] byIndex = new double[values.length];
    java.util.Arrays.fill(byIndex, Double.NaN);
    for (Row r : perFeature) {
      double p = r.getLong(r.fieldIndex("p"));
      double n = r.getLong(r.fieldIndex("n"));
      byIndex[r.getInt(r.fieldIndex("f"))] =
          p == 0 || n == 0 ? Double.NaN : r.getDouble(r.fieldIndex("u")) / (p * n);
    }
    return byIndex;
  }

  /** A built feature set: the table and the transform fitted on its training split. */
  public record FeatureSet(Dataset<Row> table, FittedTransform transform) {}
}

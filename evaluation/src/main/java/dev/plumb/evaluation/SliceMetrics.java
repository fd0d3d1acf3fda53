package dev.plumb.evaluation;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.floor;
import static org.apache.spark.sql.functions.greatest;
import static org.apache.spark.sql.functions.least;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.log;
import static org.apache.spark.sql.functions.negate;
import static org.apache.spark.sql.functions.not;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Metrics per value of each slice column, all columns in one aggregation: rows are exploded into
 * (column, value) pairs and grouped by (column, value, score bin of width 1/{@value #BINS}), so
 * each slice's ROC-AUC comes from its score histogram (ties within a bin count half) while counts,
 * confusion and log loss are exact.
 */
final class SliceMetrics {

  static final int BINS = 1_000;

  private SliceMetrics() {}

  /** One slice. */
  record Slice(
      String column,
      String value,
      long count,
      long positives,
      Confusion confusion,
      double logLoss,
      double rocAuc) {

    String name() {
      return column + "=" + value;
    }

    Map<String, Double> asMap() {
      Map<String, Double> m = new LinkedHashMap<>();
      m.put("count", (double) count);
      m.put("positives", (double) positives);
      m.put("roc_auc", rocAuc);
      m.put("log_loss", logLoss);
      m.putAll(confusion.asMap());
      return m;
    }
  }

  /** Formats a slice value: integral doubles (category indexes) without ".0". */
  static String value(Object v) {
    if (v == null) {
      return "null";
    }
    String s = String.valueOf(v);
    return s.endsWith(".0") ? s.substring(0, s.length() - 2) : s;
  }

  static List<Slice> compute(
      Dataset<Row> predictions,
      String label,
      String score,
      List<String> columns,
      double threshold) {
    if (columns.isEmpty()) {
      return List.of();
    }
    Column y = col(label).cast("double");
    Column p = col(score).cast("double");
    Column[] pairs = new Column[columns.size()];
    for (int i = 0; i < pairs.length; i++) {
      pairs[i] =
          struct(
              lit(columns.get(i)).as("c"),
              coalesce(col(columns.get(i)).cast("string"), lit("null")).as("v"));
    }
    Column q = least(greatest(p, lit(1e-15)), lit(1 - 1e-15));
    Column loss = y.multiply(log(q)).plus(lit(1).minus(y).multiply(log(lit(1).minus(q))));
    loss = negate(loss);
    Column predicted = p.geq(threshold);
    Column positive = y.equalTo(1.0);
    List<Row> rows =
        predictions
            .select(
                explode(array(pairs)).as("s"),
                least(floor(p.multiply(BINS)), lit(BINS - 1)).cast("int").as("b"),
                positive.as("y"),
                predicted.as("c"),
                loss.as("loss"))
            .groupBy(col("s.c"), col("s.v"), col("b"))
            .agg(
                count(lit(1)),
                sum(when(col("y"), 1L).otherwise(0L)),
                sum(when(col("y").and(col("c")), 1L).otherwise(0L)),
                sum(when(not(col("y")).and(col("c")), 1L).otherwise(0L)),
                sum(col("loss")))
            .collectAsList();
    Map<List<String>, double[][]> hist = new TreeMap<>(Comparator.comparing(List::toString));
    Map<List<String>, double[]> totals = new TreeMap<>(Comparator.comparing(List::toString));
    for (Row r : rows) {
      List<String> k = List.of(r.getString(0), r.getString(1));
      double[][] h = hist.computeIfAbsent(k, x -> new double[2][BINS]);
      int b = Math.max(0, r.getInt(2));
      long n = r.getLong(3);
      long pos = r.getLong(4);
      h[0][b] += pos;
      h[1][b] += n - pos;
      double[] t = totals.computeIfAbsent(k, x -> new double[5]);
      t[0] += n;
      t[1] += pos;
      t[2] += r.getLong(5);
      t[3] += r.getLong(6);
      t[4] += r.getDouble(7);
    }
    List<Slice> out = new ArrayList<>();
    for (String c : columns) {
      for (Map.Entry<List<String>, double[]> e : totals.entrySet()) {
        if (!e.getKey().get(0).equals(c)) {
          continue;
        }
        double[] t = e.getValue();
        double[][] h = hist.get(e.getKey());
        double tp = t[2];
        double fp = t[3];
        double fn = t[1] - tp;
        double tn = t[0] - t[1] - fp;
        out.add(
            new Slice(
                c,
                value(e.getKey().get(1)),
                (long) t[0],
                (long) t[1],
                new Confusion(tp, fp, tn, fn),
                t[4] / t[0],
                Curves.rocAuc(h[0], h[1])));
      }
    }
    return out;
  }

  /** The k slices with the lowest ROC-AUC among those with enough rows and both classes. */
  static List<Slice> weakest(List<Slice> slices, long minSupport, int k) {
    return slices.stream()
        .filter(s -> s.count() >= minSupport && !Double.isNaN(s.rocAuc()))
        .sorted(Comparator.comparingDouble(Slice::rocAuc).thenComparing(Slice::name))
        .limit(k)
        .toList();
  }
}

package dev.plumb.evaluation;

import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.greatest;
import static org.apache.spark.sql.functions.least;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.log;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructType;

/**
 * Core binary-classification metrics over a predictions dataset, exact and global: one aggregation
 * for the counts and log loss, one for the areas ({@link ExactAreas}: ROC-AUC as the Mann-Whitney
 * statistic with ties counted 1/2, average precision as scikit-learn defines it).
 */
public final class BinaryMetrics {

  private static final double EPS = 1e-15;

  private BinaryMetrics() {}

  /**
   * The metrics, in report order.
   *
   * @param rocAuc the probability that a random positive scores above a random negative, ties
   *     counting 1/2 (the Mann-Whitney U statistic over positives x negatives)
   * @param averagePrecision scikit-learn's {@code average_precision_score}: the sum over the
   *     distinct scores, descending, of (R_n - R_{n-1}) * P_n, step-wise, no interpolation
   */
  public record Result(
      long count,
      long positives,
      double rocAuc,
      double averagePrecision,
      double logLoss,
      double accuracy,
      double threshold) {

    /** Named values for reports and tracking. */
    public Map<String, Double> asMap() {
      Map<String, Double> m = new LinkedHashMap<>();
      m.put("count", (double) count);
      m.put("positives", (double) positives);
      m.put("roc_auc", rocAuc);
      m.put("average_precision", averagePrecision);
      m.put("log_loss", logLoss);
      m.put("accuracy", accuracy);
      return m;
    }
  }

  /** Checks that {@code label} and {@code score} exist and are numeric, before any job runs. */
  public static void checkSchema(StructType schema, String label, String score) {
    for (String c : new String[] {label, score}) {
      if (!java.util.Arrays.asList(schema.fieldNames()).contains(c)) {
        throw new IllegalArgumentException(
            "Cannot compute metrics: column '"
                + c
                + "' is missing from the predictions (columns: "
                + java.util.Arrays.toString(schema.fieldNames())
                + ")");
      }
      DataType t = schema.apply(c).dataType();
      if (!(t instanceof NumericType)) {
        throw new IllegalArgumentException(
            "Cannot compute metrics: column '"
                + c
                + "' must be numeric but was "
                + t.simpleString());
      }
    }
  }

  /**
   * Computes the metrics. {@code predictions} should be cached by the caller: it is scanned once
   * for the counts and log loss and once for the areas. Null scores are not allowed.
   */
  public static Result compute(
      Dataset<Row> predictions, String label, String score, double threshold) {
    checkSchema(predictions.schema(), label, score);
    Column y = col(label).cast("double");
    Column p = least(greatest(col(score).cast("double"), lit(EPS)), lit(1 - EPS));
    Column loss =
        y.multiply(log(p)).plus(lit(1).minus(y).multiply(log(lit(1).minus(p)))).multiply(-1);
    Column correct = when(col(score).geq(threshold).equalTo(y.equalTo(1.0)), 1L).otherwise(0L);
    Row r =
        predictions
            .agg(
                count(lit(1)), sum(when(y.equalTo(1.0), 1L).otherwise(0L)), avg(loss), sum(correct))
            .first();
    long n = r.getLong(0);
    if (n == 0) {
      throw new IllegalArgumentException(
          "Cannot compute metrics: the predictions are empty (check the evaluation split)");
    }
    long positives = r.getLong(1);
    if (positives == 0 || positives == n) {
      throw new IllegalArgumentException(
          "Cannot compute metrics: the evaluation data has only one class ("
              + positives
              + " positives of "
              + n
              + " rows); ROC-AUC is undefined");
    }
    ExactAreas.Areas areas = ExactAreas.compute(predictions, label, col(score));
    return new Result(
        n,
        positives,
        areas.rocAuc(),
        areas.averagePrecision(),
        r.getDouble(2),
        (double) r.getLong(3) / n,
        threshold);
  }
}

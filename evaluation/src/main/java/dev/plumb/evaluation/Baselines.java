package dev.plumb.evaluation;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.negate;
import static org.apache.spark.sql.functions.not;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Baselines a model must beat, measured on the same rows.
 *
 * <ul>
 *   <li>zero-rule: always the majority class, with the label prior as its probability;
 *   <li>prior-random: predicts positive at random with the label prior's probability (expected
 *       values, computed in closed form: no random draw to rerun);
 *   <li>heuristic: one feature as the score (exact areas), with an optional threshold.
 * </ul>
 *
 * Lift is the model's advantage: model - baseline for higher-is-better metrics, baseline - model
 * for log loss and Brier score.
 */
final class Baselines {

  private Baselines() {}

  /** Zero-rule metrics from the counts alone. */
  static Map<String, Double> zeroRule(long n, long positives) {
    double prior = (double) positives / n;
    boolean majorityPositive = positives * 2 > n;
    Confusion c =
        majorityPositive
            ? new Confusion(positives, n - positives, 0, 0)
            : new Confusion(0, 0, n - positives, positives);
    Map<String, Double> m = new LinkedHashMap<>();
    m.put("roc_auc", 0.5);
    // One threshold (every row ties): recall 1 at precision = the prior.
    m.put("average_precision", prior);
    m.put("log_loss", -(prior * Math.log(prior) + (1 - prior) * Math.log(1 - prior)));
    m.put("brier", prior * (1 - prior));
    m.putAll(c.asMap());
    return m;
  }

  /** Expected metrics of predicting positive with probability prior, independently per row. */
  static Map<String, Double> priorRandom(long n, long positives) {
    double prior = (double) positives / n;
    Map<String, Double> m = new LinkedHashMap<>();
    m.put("roc_auc", 0.5);
    // Two thresholds: the predicted positives (precision ~ prior, recall ~ prior), then all rows
    // (precision = prior): about prior^2 + (1 - prior) * prior = prior.
    m.put("average_precision", prior);
    m.put("brier", 2 * prior * (1 - prior));
    m.put("accuracy", prior * prior + (1 - prior) * (1 - prior));
    m.put("precision", prior);
    m.put("recall", prior);
    m.put("f1", prior);
    m.put("specificity", 1 - prior);
    m.put("balanced_accuracy", 0.5);
    m.put("mcc", 0.0);
    return m;
  }

  /** The heuristic's metrics: exact areas of the feature as a score; threshold metrics if set. */
  static Map<String, Double> heuristic(
      Dataset<Row> predictions, String label, EvalSpec.Heuristic h) {
    if (!java.util.List.of(predictions.columns()).contains(h.feature())) {
      throw EvalErrors.missingColumn("the heuristic baseline's", h.feature(), predictions.schema());
    }
    Column x = coalesce(col(h.feature()).cast("double"), lit(-Double.MAX_VALUE));
    Column s = h.higherMeansPositive() ? x : negate(x);
    ExactAreas.Areas a = ExactAreas.compute(predictions, label, s);
    Map<String, Double> m = new LinkedHashMap<>();
    m.put("roc_auc", a.rocAuc());
    m.put("average_precision", a.averagePrecision());
    if (h.threshold() != null) {
      Column predicted = h.higherMeansPositive() ? x.geq(h.threshold()) : x.leq(h.threshold());
      Column y = col(label).cast("double").equalTo(1.0);
      Row r =
          predictions
              .agg(
                  count(lit(1)),
                  sum(when(y, 1L).otherwise(0L)),
                  sum(when(y.and(predicted), 1L).otherwise(0L)),
                  sum(when(not(y).and(predicted), 1L).otherwise(0L)))
              .first();
      double n = r.getLong(0);
      double pos = r.getLong(1);
      double tp = r.getLong(2);
      double fp = r.getLong(3);
      m.putAll(new Confusion(tp, fp, n - pos - fp, pos - tp).asMap());
    }
    return m;
  }

  static boolean lowerIsBetter(String metric) {
    return metric.equals("log_loss") || metric.equals("brier") || metric.equals("ece");
  }

  /** The model's lift over a baseline, for the metrics both have. */
  static Map<String, Double> lift(Map<String, Double> model, Map<String, Double> baseline) {
    Map<String, Double> out = new LinkedHashMap<>();
    for (Map.Entry<String, Double> e : baseline.entrySet()) {
      Double mine = model.get(e.getKey());
      if (mine == null || e.getKey().equals("false_positive_rate")) {
        continue;
      }
      out.put(e.getKey(), lowerIsBetter(e.getKey()) ? e.getValue() - mine : mine - e.getValue());
    }
    return out;
  }
}

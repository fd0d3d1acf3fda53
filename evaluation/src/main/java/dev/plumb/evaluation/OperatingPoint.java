package dev.plumb.evaluation;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * The decision threshold a model is operated at, chosen by a policy on the validation split (never
 * on test): a fixed number, {@code max_f1}, {@code cost} (the eval spec's costs), {@code
 * precision_at_least:P} or {@code recall_at_least:R}. A row is predicted positive when its score is
 * at least the threshold. The search is exact: every distinct validation score is a candidate.
 */
public final class OperatingPoint {

  /** The policies {@code evaluate.threshold} takes besides a number. */
  public static final List<String> POLICIES =
      List.of("max_f1", "cost", "precision_at_least:<p>", "recall_at_least:<r>");

  /** A parsed {@code evaluate.threshold}. */
  public record Policy(String kind, double value) {

    /** Reads a number in [0, 1] or a policy; fails naming the choices. */
    public static Policy parse(String text) {
      String t = text.trim().toLowerCase(Locale.ROOT);
      try {
        double v = Double.parseDouble(t);
        if (v >= 0 && v <= 1) {
          return new Policy("fixed", v);
        }
      } catch (NumberFormatException e) {
        // a policy
      }
      if (t.equals("max_f1") || t.equals("cost")) {
        return new Policy(t, Double.NaN);
      }
      for (String kind : List.of("precision_at_least", "recall_at_least")) {
        if (t.startsWith(kind + ":")) {
          try {
            double v = Double.parseDouble(t.substring(kind.length() + 1));
            if (v > 0 && v <= 1) {
              return new Policy(kind, v);
            }
          } catch (NumberFormatException e) {
            // below
          }
        }
      }
      throw new IllegalArgumentException(
          "'"
              + text
              + "' is not a threshold: give a number in [0, 1] or one of "
              + POLICIES
              + " (e.g. precision_at_least:0.8)");
    }

    @Override
    public String toString() {
      return switch (kind) {
        case "fixed" -> String.valueOf(value);
        case "max_f1", "cost" -> kind;
        default -> kind + ":" + value;
      };
    }
  }

  /**
   * The chosen threshold and what it gives on the split it was chosen on.
   *
   * @param reached false when a precision or recall floor cannot be met on that split (then the
   *     threshold with the highest precision, or recall, is used)
   */
  public record Choice(
      Policy policy,
      double threshold,
      long rows,
      long positives,
      double precision,
      double recall,
      double f1,
      double cost,
      boolean reached) {

    /** The JSON form stored with the model and logged to MLflow. */
    public Map<String, Object> toJson() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("policy", policy.toString());
      m.put("threshold", threshold);
      m.put("split", "validation");
      m.put("rows", rows);
      m.put("positives", positives);
      m.put("precision", precision);
      m.put("recall", recall);
      m.put("f1", f1);
      m.put("cost", cost);
      m.put("reached", reached);
      return m;
    }
  }

  private OperatingPoint() {}

  /**
   * Per distinct score of the rows to choose on, highest first: the labelled rows ({@code rows})
   * and the positives among them; plus the rows with no score, which count in the totals only.
   */
  public record Counts(
      double[] scores, long[] positives, long[] rows, long unscoredPositives, long unscoredRows) {

    public Counts {
      if (scores.length != positives.length || scores.length != rows.length) {
        throw new IllegalArgumentException(
            "scores, positives and rows must have one entry per distinct score");
      }
      for (int i = 1; i < scores.length; i++) {
        if (!(Double.compare(scores[i - 1], scores[i]) > 0)) {
          throw new IllegalArgumentException("scores must be distinct and highest first");
        }
      }
    }
  }

  /**
   * Chooses the threshold for {@code policy} over {@code scored} (the validation split's scores and
   * 0/1 labels only: the caller passes no other rows).
   */
  public static Choice choose(
      Dataset<Row> scored, String score, String label, Policy policy, EvalSpec.Costs costs) {
    // One row per distinct score, sorted here (highest first) rather than by a Spark sort: a
    // sampling job and a second shuffle for rows the driver holds anyway.
    List<Row> byScore =
        new java.util.ArrayList<>(
            scored
                .groupBy(col(score).cast("double").as("s"))
                .agg(
                    sum(when(col(label).equalTo(1.0), 1L).otherwise(0L)).as("pos"),
                    count(col(label)).as("n"))
                .collectAsList());
    long unscoredPositives = 0;
    long unscoredRows = 0;
    List<Row> withScore = new java.util.ArrayList<>(byScore.size());
    for (Row r : byScore) {
      if (r.isNullAt(0)) {
        unscoredPositives += r.getLong(1);
        unscoredRows += r.getLong(2);
      } else {
        withScore.add(r);
      }
    }
    withScore.sort((a, b) -> Double.compare(b.getDouble(0), a.getDouble(0)));
    double[] scores = new double[withScore.size()];
    long[] positives = new long[scores.length];
    long[] rows = new long[scores.length];
    for (int i = 0; i < scores.length; i++) {
      Row r = withScore.get(i);
      scores[i] = r.getDouble(0);
      positives[i] = r.getLong(1);
      rows[i] = r.getLong(2);
    }
    return choose(
        new Counts(scores, positives, rows, unscoredPositives, unscoredRows), policy, costs);
  }

  /** Chooses the threshold for {@code policy} from the validation split's counts per score. */
  public static Choice choose(Counts counts, Policy policy, EvalSpec.Costs costs) {
    long positives = counts.unscoredPositives();
    long rows = counts.unscoredRows();
    for (int i = 0; i < counts.scores().length; i++) {
      positives += counts.positives()[i];
      rows += counts.rows()[i];
    }
    if (policy.kind().equals("fixed")) {
      long tp = 0;
      long fp = 0;
      for (int i = 0; i < counts.scores().length; i++) {
        if (counts.scores()[i] < policy.value()) {
          continue;
        }
        tp += counts.positives()[i];
        fp += counts.rows()[i] - counts.positives()[i];
      }
      return choice(policy, policy.value(), rows, positives, tp, fp, costs, true);
    }
    // Candidates from the highest score down: predicting positive at or above each distinct score.
    Choice best = null;
    Choice fallback = null;
    long tp = 0;
    long fp = 0;
    for (int i = 0; i < counts.scores().length; i++) {
      tp += counts.positives()[i];
      fp += counts.rows()[i] - counts.positives()[i];
      Choice c = choice(policy, counts.scores()[i], rows, positives, tp, fp, costs, true);
      switch (policy.kind()) {
        case "max_f1" -> best = better(best, c, c.f1() > (best == null ? -1 : best.f1()));
        case "cost" ->
            best = better(best, c, c.cost() < (best == null ? Double.MAX_VALUE : best.cost()));
        case "precision_at_least" -> {
          if (c.precision() >= policy.value()) {
            best = better(best, c, best == null || c.recall() > best.recall());
          }
          fallback = better(fallback, c, fallback == null || c.precision() > fallback.precision());
        }
        case "recall_at_least" -> {
          if (c.recall() >= policy.value()) {
            best = better(best, c, best == null || c.precision() > best.precision());
          }
          fallback = better(fallback, c, fallback == null || c.recall() > fallback.recall());
        }
        default -> throw new IllegalStateException("unknown policy " + policy);
      }
    }
    if (best != null) {
      return best;
    }
    if (fallback != null) {
      Choice f = fallback;
      return new Choice(
          f.policy(),
          f.threshold(),
          f.rows(),
          f.positives(),
          f.precision(),
          f.recall(),
          f.f1(),
          f.cost(),
          false);
    }
    throw new IllegalArgumentException(
        "Cannot choose a decision threshold by " + policy + ": the validation split has no scores");
  }

  /** Keeps the first of equals: the scan goes from high to low thresholds. */
  private static Choice better(Choice current, Choice candidate, boolean improves) {
    return current == null || improves ? candidate : current;
  }

  private static Choice choice(
      Policy policy,
      double threshold,
      long rows,
      long positives,
      long tp,
      long fp,
      EvalSpec.Costs costs,
      boolean reached) {
    long fn = positives - tp;
    double precision = tp + fp == 0 ? 0.0 : (double) tp / (tp + fp);
    double recall = positives == 0 ? 0.0 : (double) tp / positives;
    double f1 = 2.0 * tp + fp + fn == 0 ? 0.0 : 2.0 * tp / (2.0 * tp + fp + fn);
    double cost = fp * costs.falsePositive() + fn * costs.falseNegative();
    return new Choice(policy, threshold, rows, positives, precision, recall, f1, cost, reached);
  }
}

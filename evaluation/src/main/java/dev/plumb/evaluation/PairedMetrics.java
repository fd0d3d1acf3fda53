package dev.plumb.evaluation;

import static org.apache.spark.sql.functions.col;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Two models scored on the same rows, compared metric by metric with a paired bootstrap: each
 * replicate reweights the rows once (Poisson(1) weights) and measures both models on that same
 * reweighted sample, so the interval of the difference accounts for the rows the two share, which
 * two separate intervals would not.
 *
 * <p>The rows are reduced in one Spark aggregation to cells of (score A, score B, label) with their
 * count; every metric is a function of the cells, computed exactly as its textbook definition
 * (ROC-AUC as the Mann-Whitney statistic with ties counted half, average precision step-wise as
 * scikit-learn's, log loss with probabilities clipped to [1e-15, 1 - 1e-15], threshold metrics at
 * each model's own threshold with {@code score >= threshold} positive, ECE over equal-width bins).
 * A cell's replicate weight is Poisson(count), the sum of its rows' Poisson(1) weights. The
 * interval is the percentile interval of the replicate differences.
 */
public final class PairedMetrics {

  /** The metrics a comparison measures. */
  public static final List<String> NAMES =
      List.of(
          "roc_auc",
          "average_precision",
          "log_loss",
          "brier",
          "accuracy",
          "precision",
          "recall",
          "f1",
          "ece");

  private static final double EPS = 1e-15;

  private PairedMetrics() {}

  /** Whether a larger value of the metric is better. */
  public static boolean higherIsBetter(String metric) {
    return !(metric.equals("log_loss") || metric.equals("brier") || metric.equals("ece"));
  }

  /**
   * The scored rows as cells: distinct (score A, score B, label) with their number of rows.
   *
   * @param a model A's score per cell
   * @param b model B's score per cell
   * @param label the 0/1 label per cell
   * @param count rows per cell
   */
  public record Cells(double[] a, double[] b, int[] label, long[] count) {

    /** Rows in all cells. */
    public long rows() {
      long n = 0;
      for (long c : count) {
        n += c;
      }
      return n;
    }
  }

  /**
   * One metric of both models and their difference (A - B) with its interval.
   *
   * @param metric the metric's name
   * @param a model A's value on all rows
   * @param b model B's value on all rows
   * @param difference {@code a - b}
   * @param low the interval's lower end
   * @param high the interval's upper end
   */
  public record Difference(
      String metric, double a, double b, double difference, double low, double high) {

    /** True when the whole interval says A is better than B. */
    public boolean significantlyBetter() {
      return higherIsBetter(metric) ? low > 0 : high < 0;
    }

    /** True when the whole interval says A is worse than B. */
    public boolean significantlyWorse() {
      return higherIsBetter(metric) ? high < 0 : low > 0;
    }

    /** For reports. */
    public Map<String, Object> toJson() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("candidate", a);
      m.put("champion", b);
      m.put("difference", difference);
      m.put("interval", List.of(low, high));
      m.put("higher_is_better", higherIsBetter(metric));
      m.put("significantly_better", significantlyBetter());
      m.put("significantly_worse", significantlyWorse());
      return m;
    }
  }

  /** Reduces the rows to cells in one aggregation (scores and label must not be null). */
  public static Cells cells(Dataset<Row> rows, String scoreA, String scoreB, String label) {
    List<Row> r =
        rows.groupBy(col(scoreA).cast("double"), col(scoreB).cast("double"), col(label).cast("int"))
            .count()
            .collectAsList();
    double[] a = new double[r.size()];
    double[] b = new double[r.size()];
    int[] y = new int[r.size()];
    long[] n = new long[r.size()];
    for (int i = 0; i < r.size(); i++) {
      Row row = r.get(i);
      if (row.isNullAt(0) || row.isNullAt(1) || row.isNullAt(2)) {
        throw EvalErrors.badSpec(
            "Cannot compare the models: a score or label is null in "
                + row.getLong(3)
                + " rows (both models must score every compared row)");
      }
      a[i] = row.getDouble(0);
      b[i] = row.getDouble(1);
      y[i] = row.getInt(2);
      n[i] = row.getLong(3);
    }
    return new Cells(a, b, y, n);
  }

  /**
   * Every metric of {@link #NAMES} for both models, with the paired bootstrap interval of the
   * difference.
   */
  public static Map<String, Difference> compare(
      Cells cells,
      double thresholdA,
      double thresholdB,
      int calibrationBins,
      int replicates,
      double confidence,
      long seed) {
    Model ma = new Model(cells.a(), cells.label(), thresholdA, calibrationBins);
    Model mb = new Model(cells.b(), cells.label(), thresholdB, calibrationBins);
    double[] all = Arrays.stream(cells.count()).asDoubleStream().toArray();
    double[] pointA = ma.metrics(all);
    double[] pointB = mb.metrics(all);
    double[][] diffs = new double[NAMES.size()][replicates];
    SplittableRandom rng = new SplittableRandom(seed);
    double[] w = new double[all.length];
    for (int r = 0; r < replicates; r++) {
      for (int i = 0; i < w.length; i++) {
        w[i] = poisson(rng, all[i]);
      }
      double[] va = ma.metrics(w);
      double[] vb = mb.metrics(w);
      for (int m = 0; m < NAMES.size(); m++) {
        diffs[m][r] = va[m] - vb[m];
      }
    }
    double alpha = 1 - confidence;
    Map<String, Difference> out = new LinkedHashMap<>();
    for (int m = 0; m < NAMES.size(); m++) {
      double[] sorted = diffs[m].clone();
      Arrays.sort(sorted);
      double d = pointA[m] - pointB[m];
      double lo = replicates < 2 ? Double.NaN : Bootstrap.quantile(sorted, alpha / 2);
      double hi = replicates < 2 ? Double.NaN : Bootstrap.quantile(sorted, 1 - alpha / 2);
      out.put(NAMES.get(m), new Difference(NAMES.get(m), pointA[m], pointB[m], d, lo, hi));
    }
    return out;
  }

  /**
   * A Poisson(mean) draw: Knuth's product of uniforms below 30, the normal approximation (rounded,
   * at least 0) from 30 on, where its error is far below the bootstrap's own.
   */
  static double poisson(SplittableRandom rng, double mean) {
    if (mean < 30) {
      double limit = Math.exp(-mean);
      double p = 1;
      int k = 0;
      do {
        k++;
        p *= rng.nextDouble();
      } while (p > limit);
      return k - 1;
    }
    return Math.max(0, Math.rint(mean + Math.sqrt(mean) * rng.nextGaussian()));
  }

  /** One model's scores over the cells, ranked once; metrics under any cell weights. */
  private static final class Model {
    final double[] score;
    final int[] label;
    final double threshold;
    final int calibrationBins;
    final int[] rank; // cell -> index of its distinct score, ascending
    final int distinct;

    Model(double[] score, int[] label, double threshold, int calibrationBins) {
      this.score = score;
      this.label = label;
      this.threshold = threshold;
      this.calibrationBins = calibrationBins;
      double[] sorted = Arrays.stream(score).sorted().distinct().toArray();
      this.distinct = sorted.length;
      this.rank = new int[score.length];
      for (int i = 0; i < score.length; i++) {
        rank[i] = Arrays.binarySearch(sorted, score[i]);
      }
    }

    /** The metrics of {@link #NAMES}, in order, with these cell weights. */
    double[] metrics(double[] w) {
      double[] pos = new double[distinct];
      double[] neg = new double[distinct];
      double[] calResidual = new double[calibrationBins];
      double n = 0;
      double logLoss = 0;
      double brier = 0;
      double tp = 0;
      double fp = 0;
      double tn = 0;
      double fn = 0;
      for (int i = 0; i < score.length; i++) {
        double wi = w[i];
        if (wi == 0) {
          continue;
        }
        double p = score[i];
        int y = label[i];
        n += wi;
        double q = Math.min(Math.max(p, EPS), 1 - EPS);
        logLoss -= wi * (y == 1 ? Math.log(q) : Math.log(1 - q));
        brier += wi * (p - y) * (p - y);
        boolean predicted = p >= threshold;
        if (y == 1) {
          pos[rank[i]] += wi;
          if (predicted) {
            tp += wi;
          } else {
            fn += wi;
          }
        } else {
          neg[rank[i]] += wi;
          if (predicted) {
            fp += wi;
          } else {
            tn += wi;
          }
        }
        calResidual[ScorePass.bin(p, calibrationBins)] += wi * (y - p);
      }
      double ece = 0;
      for (double r : calResidual) {
        ece += Math.abs(r);
      }
      Confusion c = new Confusion(tp, fp, tn, fn);
      return new double[] {
        Curves.rocAuc(pos, neg),
        Curves.averagePrecision(pos, neg),
        n == 0 ? Double.NaN : logLoss / n,
        n == 0 ? Double.NaN : brier / n,
        c.accuracy(),
        c.precision(),
        c.recall(),
        c.f1(),
        n == 0 ? Double.NaN : ece / n
      };
    }
  }
}

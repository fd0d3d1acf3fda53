package dev.plumb.evaluation;

import java.util.ArrayList;
import java.util.List;

/**
 * Curves, areas and thresholds from score histograms (positives and negatives per equal-width score
 * bin). Rows in one bin count as tied, so areas from bins of width w differ from the exact ones
 * only through pairs closer than w.
 */
final class Curves {

  private Curves() {}

  /** One point of a curve. */
  record Point(double x, double y, double threshold) {}

  /** One row of the threshold sweep. */
  record SweepRow(
      double threshold,
      double precision,
      double recall,
      double f1,
      double falsePositiveRate,
      double tp,
      double fp) {}

  /** ROC-AUC with ties inside a bin counted as half: the area under the binned ROC curve. */
  static double rocAuc(double[] pos, double[] neg) {
    double p = sum(pos);
    double q = sum(neg);
    if (p == 0 || q == 0) {
      return Double.NaN;
    }
    double above = 0;
    double wins = 0;
    for (int b = pos.length - 1; b >= 0; b--) {
      wins += neg[b] * (above + 0.5 * pos[b]);
      above += pos[b];
    }
    return wins / (p * q);
  }

  /**
   * Average precision as scikit-learn's {@code average_precision_score} defines it: the sum over
   * thresholds, descending, of (R_n - R_{n-1}) * P_n, step-wise with no interpolation. Each
   * non-empty bin is one threshold, so the value is exact when every bin holds one distinct score
   * (the bins of distinct scores {@link ExactAreas} builds); otherwise {@link #binned} bounds the
   * difference.
   */
  static double averagePrecision(double[] pos, double[] neg) {
    double p = sum(pos);
    if (p == 0) {
      return Double.NaN;
    }
    double tp = 0;
    double fp = 0;
    double area = 0;
    for (int b = pos.length - 1; b >= 0; b--) {
      tp += pos[b];
      fp += neg[b];
      if (pos[b] > 0) {
        area += pos[b] / p * (tp / (tp + fp));
      }
    }
    return area;
  }

  /**
   * Areas from a histogram, with how far each can be from the exact value over the rows.
   *
   * @param rocAucErrorBound the most the exact ROC-AUC can differ from {@code rocAuc}
   * @param averagePrecisionErrorBound the most the exact average precision can differ
   */
  record Binned(
      double rocAuc,
      double rocAucErrorBound,
      double averagePrecision,
      double averagePrecisionErrorBound) {

    /** True when both areas are within {@code tolerance} of the exact ones. */
    boolean within(double tolerance) {
      return rocAucErrorBound <= tolerance && averagePrecisionErrorBound <= tolerance;
    }
  }

  /**
   * The areas of a histogram whose bin b holds scores from {@code lo[b]} to {@code hi[b]}, and
   * bounds on their error. A bin whose rows all share one score is exact (its ties are real ties);
   * only bins with different scores in them can be off:
   *
   * <ul>
   *   <li>ROC-AUC counts a bin's (positive, negative) pairs as half; the exact count of such a pair
   *       is 0, 1/2 or 1, so the bound is half the share of pairs inside such bins.
   *   <li>Average precision gives each of a bin's k positives the precision at the bin's end. With
   *       tp0 and fp0 rows above the bin and m negatives in it, the precision at any positive of
   *       the bin lies between (tp0 + 1) / (tp0 + fp0 + 1 + m) and (tp0 + k) / (tp0 + fp0 + k), as
   *       does the binned one, so each positive can be off by at most that range over P.
   * </ul>
   */
  static Binned binned(double[] pos, double[] neg, double[] lo, double[] hi) {
    double p = sum(pos);
    double q = sum(neg);
    double tp = 0;
    double fp = 0;
    double pairsInMixedBins = 0;
    double apBound = 0;
    for (int b = pos.length - 1; b >= 0; b--) {
      double k = pos[b];
      double m = neg[b];
      if (k > 0 && lo[b] < hi[b]) {
        pairsInMixedBins += k * m;
        double highest = (tp + k) / (tp + fp + k);
        double lowest = (tp + 1) / (tp + fp + 1 + m);
        apBound += k / p * (highest - lowest);
      }
      tp += k;
      fp += m;
    }
    double rocBound = p == 0 || q == 0 ? 0 : 0.5 * pairsInMixedBins / (p * q);
    return new Binned(rocAuc(pos, neg), rocBound, averagePrecision(pos, neg), apBound);
  }

  /** ROC points (false-positive rate, true-positive rate) at each non-empty bin's lower edge. */
  static List<Point> roc(double[] pos, double[] neg, int maxPoints) {
    double p = sum(pos);
    double q = sum(neg);
    List<Point> all = new ArrayList<>();
    all.add(new Point(0, 0, 1));
    double tp = 0;
    double fp = 0;
    for (int b = pos.length - 1; b >= 0; b--) {
      if (pos[b] == 0 && neg[b] == 0) {
        continue;
      }
      tp += pos[b];
      fp += neg[b];
      all.add(new Point(fp / q, tp / p, (double) b / pos.length));
    }
    return thin(all, maxPoints);
  }

  /** PR points (recall, precision) at each non-empty bin's lower edge. */
  static List<Point> pr(double[] pos, double[] neg, int maxPoints) {
    double p = sum(pos);
    List<Point> all = new ArrayList<>();
    double tp = 0;
    double fp = 0;
    for (int b = pos.length - 1; b >= 0; b--) {
      if (pos[b] == 0 && neg[b] == 0) {
        continue;
      }
      tp += pos[b];
      fp += neg[b];
      if (all.isEmpty()) {
        all.add(new Point(0, tp / (tp + fp), 1));
      }
      all.add(new Point(tp / p, tp / (tp + fp), (double) b / pos.length));
    }
    return thin(all, maxPoints);
  }

  /** Keeps at most {@code max} points, evenly spread by index, always the first and the last. */
  static List<Point> thin(List<Point> all, int max) {
    if (all.size() <= max) {
      return all;
    }
    List<Point> out = new ArrayList<>();
    double step = (all.size() - 1) / (double) (max - 1);
    for (int i = 0; i < max; i++) {
      out.add(all.get((int) Math.round(i * step)));
    }
    return out;
  }

  /** Confusion when predicting positive for scores in bin {@code from} and above. */
  static Confusion confusionFrom(double[] pos, double[] neg, int from) {
    double tp = 0;
    double fp = 0;
    for (int b = Math.max(from, 0); b < pos.length; b++) {
      tp += pos[b];
      fp += neg[b];
    }
    double p = sum(pos);
    double q = sum(neg);
    return new Confusion(tp, fp, q - fp, p - tp);
  }

  /** The sweep at thresholds i/points, i = 0..points (scores at or above predict positive). */
  static List<SweepRow> sweep(double[] pos, double[] neg, int points) {
    int width = pos.length / points;
    double p = sum(pos);
    double q = sum(neg);
    double[] tpAt = new double[pos.length + 1];
    double[] fpAt = new double[pos.length + 1];
    for (int b = pos.length - 1; b >= 0; b--) {
      tpAt[b] = tpAt[b + 1] + pos[b];
      fpAt[b] = fpAt[b + 1] + neg[b];
    }
    List<SweepRow> rows = new ArrayList<>();
    for (int i = 0; i <= points; i++) {
      int from = i * width;
      Confusion c = new Confusion(tpAt[from], fpAt[from], q - fpAt[from], p - tpAt[from]);
      rows.add(
          new SweepRow(
              (double) i / points,
              c.precision(),
              c.recall(),
              c.f1(),
              c.falsePositiveRate(),
              c.tp(),
              c.fp()));
    }
    return rows;
  }

  /** A chosen threshold and the confusion there. */
  record Choice(double threshold, Confusion confusion, double cost) {}

  /** The bin edge with the highest F1 (the highest threshold among ties). */
  static Choice bestF1(double[] pos, double[] neg) {
    return best(pos, neg, 0, 0, true);
  }

  /** The bin edge with the lowest {@code costFp * FP + costFn * FN}. */
  static Choice cheapest(double[] pos, double[] neg, double costFp, double costFn) {
    return best(pos, neg, costFp, costFn, false);
  }

  private static Choice best(double[] pos, double[] neg, double cfp, double cfn, boolean f1) {
    double p = sum(pos);
    double q = sum(neg);
    double tp = 0;
    double fp = 0;
    // Predicting nothing positive: threshold above every score.
    Confusion none = new Confusion(0, 0, q, p);
    Choice best = new Choice(1.0 + 1e-9, none, cfn * p);
    double bestValue = f1 ? 0 : cfn * p;
    for (int b = pos.length - 1; b >= 0; b--) {
      if (pos[b] == 0 && neg[b] == 0) {
        continue;
      }
      tp += pos[b];
      fp += neg[b];
      Confusion c = new Confusion(tp, fp, q - fp, p - tp);
      double value = f1 ? c.f1() : cfp * fp + cfn * (p - tp);
      if (f1 ? value > bestValue : value < bestValue) {
        bestValue = value;
        best = new Choice((double) b / pos.length, c, cfp * fp + cfn * (p - tp));
      }
    }
    return best;
  }

  static double sum(double[] a) {
    double s = 0;
    for (double v : a) {
      s += v;
    }
    return s;
  }

  static double[] toDouble(long[] a) {
    double[] out = new double[a.length];
    for (int i = 0; i < a.length; i++) {
      out[i] = a[i];
    }
    return out;
  }

  /** Sums groups of {@code factor} adjacent bins. */
  static double[] coarsen(double[] a, int factor) {
    double[] out = new double[a.length / factor];
    for (int i = 0; i < a.length; i++) {
      out[i / factor] += a[i];
    }
    return out;
  }
}

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
   * PR-AUC as Spark's {@code BinaryClassificationMetrics} defines it: trapezoids over (recall,
   * precision) at each threshold, descending, starting from (0, precision at the first threshold).
   */
  static double prAuc(double[] pos, double[] neg) {
    double p = sum(pos);
    if (p == 0) {
      return Double.NaN;
    }
    double tp = 0;
    double fp = 0;
    double area = 0;
    double prevRecall = 0;
    double prevPrecision = Double.NaN;
    for (int b = pos.length - 1; b >= 0; b--) {
      if (pos[b] == 0 && neg[b] == 0) {
        continue;
      }
      tp += pos[b];
      fp += neg[b];
      double recall = tp / p;
      double precision = tp / (tp + fp);
      if (Double.isNaN(prevPrecision)) {
        prevPrecision = precision;
      }
      area += (recall - prevRecall) * (precision + prevPrecision) / 2;
      prevRecall = recall;
      prevPrecision = precision;
    }
    return area;
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

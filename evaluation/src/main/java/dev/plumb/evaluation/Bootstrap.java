package dev.plumb.evaluation;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Percentile confidence intervals from the Poisson-bootstrap replicates a {@link ScorePass}
 * gathered. Replicates hold coarse score histograms, so their areas are binned; the interval of an
 * area is the percentile interval of (replicate - binned full-data area), added to the exact area,
 * which removes the binning bias from the interval.
 */
final class Bootstrap {

  private Bootstrap() {}

  static Map<String, double[]> intervals(ScorePass pass, EvalSpec spec, ExactAreas.Areas exact) {
    int reps = pass.replicates;
    Map<String, double[]> out = new LinkedHashMap<>();
    if (reps < 2) {
      return out;
    }
    int bins = ScorePass.COARSE_BINS;
    int cal = pass.calibrationBins;
    int perCal = bins / cal;
    double[] fullPos = Curves.coarsen(Curves.toDouble(pass.finePos), ScorePass.FINE_BINS / bins);
    double[] fullNeg = Curves.coarsen(Curves.toDouble(pass.fineNeg), ScorePass.FINE_BINS / bins);
    double rocBias = exact.rocAuc() - Curves.rocAuc(fullPos, fullNeg);
    double apBias = exact.averagePrecision() - Curves.averagePrecision(fullPos, fullNeg);
    String[] names = {
      "roc_auc",
      "average_precision",
      "log_loss",
      "brier",
      "accuracy",
      "precision",
      "recall",
      "f1",
      "ece"
    };
    double[][] values = new double[names.length][reps];
    for (int r = 0; r < reps; r++) {
      double[] pos = new double[bins];
      double[] neg = new double[bins];
      double tp = 0;
      double fp = 0;
      double tn = 0;
      double fn = 0;
      double[] calPos = new double[cal];
      double[] calN = new double[cal];
      for (int b = 0; b < bins; b++) {
        int i = b * 4;
        double nNeg = pass.repCell(r, i);
        double fpB = pass.repCell(r, i + 1);
        double fnB = pass.repCell(r, i + 2);
        double tpB = pass.repCell(r, i + 3);
        tn += nNeg;
        fp += fpB;
        fn += fnB;
        tp += tpB;
        neg[b] = nNeg + fpB;
        pos[b] = fnB + tpB;
        calPos[b / perCal] += pos[b];
        calN[b / perCal] += pos[b] + neg[b];
      }
      double n = tp + fp + tn + fn;
      Confusion c = new Confusion(tp, fp, tn, fn);
      double ece = 0;
      for (int k = 0; k < cal; k++) {
        ece += Math.abs(calPos[k] - pass.repCalScore(r, k)) / n;
      }
      double[] v = {
        Curves.rocAuc(pos, neg) + rocBias,
        Curves.averagePrecision(pos, neg) + apBias,
        pass.repLogLoss[r] / n,
        pass.repBrier[r] / n,
        c.accuracy(),
        c.precision(),
        c.recall(),
        c.f1(),
        ece
      };
      for (int m = 0; m < names.length; m++) {
        values[m][r] = v[m];
      }
    }
    double alpha = 1 - spec.bootstrap().confidence();
    for (int m = 0; m < names.length; m++) {
      double[] sorted = values[m].clone();
      Arrays.sort(sorted);
      out.put(
          names[m], new double[] {quantile(sorted, alpha / 2), quantile(sorted, 1 - alpha / 2)});
    }
    return out;
  }

  /** Linear-interpolation quantile of sorted values (NaNs sort last and are skipped). */
  static double quantile(double[] sorted, double q) {
    int n = 0;
    while (n < sorted.length && !Double.isNaN(sorted[n])) {
      n++;
    }
    if (n == 0) {
      return Double.NaN;
    }
    double pos = q * (n - 1);
    int lo = (int) Math.floor(pos);
    int hi = Math.min(lo + 1, n - 1);
    return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
  }
}

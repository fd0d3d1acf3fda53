package dev.plumb.evaluation;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A confusion matrix and the metrics derived from it. Undefined ratios (0/0) are 0, as in
 * scikit-learn's {@code zero_division=0}.
 */
public record Confusion(double tp, double fp, double tn, double fn) {

  static double ratio(double a, double b) {
    return b == 0 ? 0 : a / b;
  }

  public double count() {
    return tp + fp + tn + fn;
  }

  public double precision() {
    return ratio(tp, tp + fp);
  }

  public double recall() {
    return ratio(tp, tp + fn);
  }

  public double specificity() {
    return ratio(tn, tn + fp);
  }

  public double falsePositiveRate() {
    return ratio(fp, fp + tn);
  }

  public double accuracy() {
    return ratio(tp + tn, count());
  }

  public double f1() {
    return ratio(2 * tp, 2 * tp + fp + fn);
  }

  public double balancedAccuracy() {
    return (recall() + specificity()) / 2;
  }

  /** Matthews correlation coefficient; 0 when any margin is empty. */
  public double mcc() {
    double d = Math.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn));
    return d == 0 ? 0 : (tp * tn - fp * fn) / d;
  }

  /** Named metrics for reports and gates. */
  public Map<String, Double> asMap() {
    Map<String, Double> m = new LinkedHashMap<>();
    m.put("accuracy", accuracy());
    m.put("precision", precision());
    m.put("recall", recall());
    m.put("f1", f1());
    m.put("specificity", specificity());
    m.put("false_positive_rate", falsePositiveRate());
    m.put("balanced_accuracy", balancedAccuracy());
    m.put("mcc", mcc());
    return m;
  }
}

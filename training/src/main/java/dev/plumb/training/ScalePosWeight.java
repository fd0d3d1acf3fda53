package dev.plumb.training;

import java.util.Locale;

/**
 * XGBoost's {@code scale_pos_weight}: a fixed number, or {@code auto} = negatives / positives on
 * the training split (counted once, before training).
 *
 * @param auto whether the weight is computed from the training split
 * @param value the weight when not {@code auto} (ignored otherwise)
 */
public record ScalePosWeight(boolean auto, double value) {

  /** No reweighting (XGBoost's default). */
  public static final ScalePosWeight NONE = new ScalePosWeight(false, 1.0);

  /** Negatives / positives on the training split. */
  public static final ScalePosWeight AUTO = new ScalePosWeight(true, Double.NaN);

  public ScalePosWeight {
    if (!auto && !(value > 0 && Double.isFinite(value))) {
      throw TrainingErrors.invalidSetting(
          "scale_pos_weight", String.valueOf(value), "a number > 0, or auto");
    }
  }

  /** Parses {@code auto} or a positive number. */
  public static ScalePosWeight parse(String text) {
    String t = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
    if (t.equals("auto")) {
      return AUTO;
    }
    try {
      return new ScalePosWeight(false, Double.parseDouble(t));
    } catch (NumberFormatException e) {
      throw TrainingErrors.invalidSetting("scale_pos_weight", text, "a number > 0, or auto");
    }
  }

  /**
   * The weight for a training split with these class counts.
   *
   * @throws IllegalArgumentException when {@code auto} and a class is absent
   */
  public double resolve(long negatives, long positives) {
    if (!auto) {
      return value;
    }
    if (positives == 0 || negatives == 0) {
      throw new IllegalArgumentException(
          String.format(
              "Cannot train: train.scale_pos_weight = auto needs both classes in the training"
                  + " split, but it has %d negatives and %d positives (check the label column and"
                  + " the split, or set a number)",
              negatives, positives));
    }
    return (double) negatives / positives;
  }

  @Override
  public String toString() {
    return auto ? "auto" : String.valueOf(value);
  }
}

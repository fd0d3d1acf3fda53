package dev.plumb.training;

/**
 * Every user-facing error of the training module, built in one place: what is wrong, which setting,
 * and how to fix it. Preconditions read "Cannot train: ..." or "Cannot configure training: ...".
 */
public final class TrainingErrors {

  private TrainingErrors() {}

  /** A setting whose value is invalid on its own. */
  public static IllegalArgumentException invalidSetting(String key, Object value, String expected) {
    return new IllegalArgumentException(
        "Cannot configure training: train."
            + key
            + " = "
            + value
            + " is invalid (use "
            + expected
            + ")");
  }

  /** A setting that the cluster cannot honour; raised by {@link Preflight} before any Spark job. */
  public static IllegalArgumentException preflight(String setting, String problem, String fix) {
    return new IllegalArgumentException(
        "Cannot train: " + setting + " " + problem + " (" + fix + ")");
  }

  /** A spec handed to the trainer without going through {@link Preflight}. */
  public static IllegalArgumentException unresolved(String key, Object value) {
    return new IllegalArgumentException(
        "Cannot train: train."
            + key
            + " = "
            + value
            + " is not resolved yet (call Preflight.check with the cluster's facts first)");
  }
}

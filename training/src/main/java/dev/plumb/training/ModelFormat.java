package dev.plumb.training;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * How the native booster is written: XGBoost's Universal Binary JSON (compact, the default) or
 * plain JSON (readable, diffable). Both hold the whole model, feature names included, and load back
 * to identical predictions; Java serialization is never used.
 */
public enum ModelFormat {
  UBJ("ubj", "model.ubj"),
  JSON("json", "booster.json");

  private final String xgboostName;
  private final String fileName;

  ModelFormat(String xgboostName, String fileName) {
    this.xgboostName = xgboostName;
    this.fileName = fileName;
  }

  /** The format name XGBoost's {@code toByteArray(format)} takes. */
  public String xgboostName() {
    return xgboostName;
  }

  /**
   * The file name in a model folder. The JSON form is not called {@code model.json}: that name
   * holds Plumb's model metadata.
   */
  public String fileName() {
    return fileName;
  }

  /** The names a config may use. */
  public static List<String> names() {
    return Arrays.stream(values()).map(ModelFormat::xgboostName).toList();
  }

  /** Parses {@code ubj} or {@code json} (any case). */
  public static ModelFormat parse(String text) {
    String t = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
    for (ModelFormat f : values()) {
      if (f.xgboostName.equals(t)) {
        return f;
      }
    }
    throw TrainingErrors.invalidSetting("model_format", text, "one of " + names());
  }
}

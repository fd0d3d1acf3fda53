package dev.plumb.features;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A declarative feature set: which columns become features and how, the label and key, and the
 * split policy. Two specs with the same canonical form build the same feature set.
 *
 * @param name the feature set's name (a folder in the store)
 * @param labelColumn the label column; never a feature input
 * @param keyColumn the key column; the split is a hash of it
 * @param numeric numeric columns used as they are (cast to double; null stays missing)
 * @param categorical string columns indexed by their training-split levels, with one bucket for
 *     unseen values and null
 * @param trainFraction fraction of keys in the train split
 * @param validationFraction fraction of keys in the validation split; the rest is test
 * @param splitSeed seed of the key hash
 */
public record FeatureSetSpec(
    String name,
    String labelColumn,
    String keyColumn,
    List<String> numeric,
    List<String> categorical,
    double trainFraction,
    double validationFraction,
    long splitSeed) {

  public FeatureSetSpec {
    numeric = List.copyOf(numeric);
    categorical = List.copyOf(categorical);
    String what = "define feature set '" + name + "'";
    if (name == null || !name.matches("[A-Za-z0-9_.-]+")) {
      throw FeatureErrors.invalidSpec(
          what, "name '" + name + "' is not a valid folder name", "use letters, digits, . _ -");
    }
    if (numeric.isEmpty() && categorical.isEmpty()) {
      throw FeatureErrors.invalidSpec(
          what, "no features declared", "list columns under features.numeric or .categorical");
    }
    List<String> all = new ArrayList<>(numeric);
    all.addAll(categorical);
    if (all.contains(labelColumn)) {
      throw FeatureErrors.invalidSpec(
          what,
          "the label column '" + labelColumn + "' is also a feature input (label leakage)",
          "remove it from the feature lists");
    }
    if (all.stream().distinct().count() != all.size()) {
      throw FeatureErrors.invalidSpec(
          what, "a column is declared twice among " + all, "declare each feature once");
    }
    if (!(trainFraction > 0 && validationFraction >= 0 && trainFraction + validationFraction < 1)) {
      throw FeatureErrors.invalidSpec(
          what,
          "split fractions train="
              + trainFraction
              + " validation="
              + validationFraction
              + " leave no test split",
          "use train > 0, validation >= 0 and train + validation < 1");
    }
  }

  /** The feature names, in vector order: numeric first, then categorical. */
  public List<String> featureNames() {
    List<String> all = new ArrayList<>(numeric);
    all.addAll(categorical);
    return all;
  }

  /** Fraction of keys in the test split. */
  public double testFraction() {
    return 1.0 - trainFraction - validationFraction;
  }

  /** Canonical JSON of everything that changes the built data: the input of the version hash. */
  public String canonical() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", name);
    m.put("label", labelColumn);
    m.put("key", keyColumn);
    m.put("numeric", numeric);
    m.put("categorical", categorical);
    m.put("split", List.of(trainFraction, validationFraction, splitSeed));
    return YamlDocs.toJson(m);
  }
}

package dev.plumb.features;

import dev.plumb.features.io.YamlDocs;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * How rows are assigned to train / validation / test: by a seeded hash of the key ({@link KeyHash})
 * or by cutoffs on the event time ({@link TimeCutoffs}). Either way the assignment depends on the
 * row alone, so it is the same on every run, machine and partitioning.
 */
public sealed interface SplitPolicy {

  /** Canonical form, defaults filled in. */
  Map<String, Object> canonical();

  /**
   * Keys whose hash bucket in [0, 1) is below {@code train} go to train, below {@code train +
   * validation} to validation, the rest to test.
   */
  record KeyHash(double train, double validation, long seed) implements SplitPolicy {
    public KeyHash {
      if (!(train > 0 && validation >= 0 && train + validation < 1)) {
        throw FeatureErrors.invalidSpec(
            "define the split",
            "split fractions train=" + train + " validation=" + validation + " leave no test split",
            "use train > 0, validation >= 0 and train + validation < 1");
      }
    }

    /** Fraction of keys in the test split. */
    public double test() {
      return 1.0 - train - validation;
    }

    @Override
    public Map<String, Object> canonical() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("by", "key_hash");
      m.put("train", train);
      m.put("validation", validation);
      m.put("seed", seed);
      return m;
    }
  }

  /**
   * By event time t: train when t < {@code validationFrom}, validation when validationFrom <= t <
   * {@code testFrom}, test when t >= testFrom. Rows without an event time go to test, so they never
   * influence a fitted transform. Cutoffs are {@code yyyy-MM-dd} or {@code yyyy-MM-dd HH:mm:ss} in
   * the session time zone.
   */
  record TimeCutoffs(String validationFrom, String testFrom) implements SplitPolicy {
    public TimeCutoffs {
      LocalDateTime v = parse(validationFrom, "validation_from");
      LocalDateTime t = parse(testFrom, "test_from");
      if (!v.isBefore(t)) {
        throw FeatureErrors.invalidSpec(
            "define the split",
            "validation_from " + validationFrom + " is not before test_from " + testFrom,
            "use train < validation_from <= validation < test_from <= test");
      }
    }

    private static LocalDateTime parse(String value, String key) {
      try {
        return value.length() == 10
            ? LocalDate.parse(value).atStartOfDay()
            : LocalDateTime.parse(value.replace(' ', 'T'));
      } catch (DateTimeParseException | NullPointerException e) {
        throw FeatureErrors.invalidSpec(
            "define the split",
            key + " '" + value + "' is not a date or timestamp",
            "write it as yyyy-MM-dd or yyyy-MM-dd HH:mm:ss");
      }
    }

    @Override
    public Map<String, Object> canonical() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("by", "time");
      m.put("validation_from", validationFrom);
      m.put("test_from", testFrom);
      return m;
    }
  }

  /** Parses the spec's {@code split:} section; unknown keys are rejected. */
  static SplitPolicy parse(Map<String, Object> m, String origin) {
    String by = m.containsKey("by") ? String.valueOf(m.get("by")) : "key_hash";
    switch (by) {
      case "key_hash" -> {
        YamlDocs.requireKnownKeys(m, Set.of("by", "train", "validation", "seed"), "split", origin);
        return new KeyHash(
            number(m, "train", 0.7, origin),
            number(m, "validation", 0.15, origin),
            (long) number(m, "seed", 42, origin));
      }
      case "time" -> {
        YamlDocs.requireKnownKeys(m, Set.of("by", "validation_from", "test_from"), "split", origin);
        return new TimeCutoffs(
            YamlDocs.string(m, "validation_from", origin), YamlDocs.string(m, "test_from", origin));
      }
      default ->
          throw FeatureErrors.invalidSpec(
              "read " + origin, "split by '" + by + "' is unknown", "use by: key_hash or by: time");
    }
  }

  private static double number(Map<String, Object> m, String key, double dflt, String origin) {
    Object v = m.get(key);
    if (v == null) {
      return dflt;
    }
    try {
      return Double.parseDouble(String.valueOf(v));
    } catch (NumberFormatException e) {
      throw FeatureErrors.invalidSpec(
          "read " + origin, "split." + key + " must be a number but was '" + v + "'", "fix it");
    }
  }
}

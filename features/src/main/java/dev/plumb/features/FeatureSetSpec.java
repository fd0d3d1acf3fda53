package dev.plumb.features;

import dev.plumb.features.io.Storage;
import dev.plumb.features.io.YamlDocs;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A declarative feature set: the label, key and optional event-time column, the feature definitions
 * and the split policy. Read from YAML ({@code conf/features/demo.yaml} documents every key). Two
 * specs with the same {@link #canonical()} form build the same feature set.
 *
 * @param name the feature set's name (a folder in the store)
 * @param labelColumn the label column; never a feature input
 * @param keyColumn the key column (key-hash split, default key of window aggregates)
 * @param eventTime the event-time column (date or timestamp), or "" when there is none; needed by
 *     window aggregates and the time split
 * @param features the feature definitions, in vector order
 * @param split the split policy
 */
public record FeatureSetSpec(
    String name,
    String labelColumn,
    String keyColumn,
    String eventTime,
    List<FeatureDef> features,
    SplitPolicy split) {

  /** The top-level keys of a spec file. */
  public static final Set<String> KEYS =
      Set.of("name", "label", "key", "event_time", "features", "split");

  public FeatureSetSpec {
    features = List.copyOf(features);
    eventTime = eventTime == null ? "" : eventTime;
    String what = "define feature set '" + name + "'";
    try {
      dev.plumb.features.io.Locations.checkSegment(name, "the feature set name");
    } catch (IllegalArgumentException e) {
      throw FeatureErrors.invalidSpec(
          what, "name '" + name + "' is not a valid folder name", "use letters, digits, . _ -");
    }
    if (features.isEmpty()) {
      throw FeatureErrors.invalidSpec(what, "no features declared", "list them under features:");
    }
    List<String> leaking = new ArrayList<>();
    for (FeatureDef f : features) {
      if (f.inputs().contains(labelColumn)) {
        leaking.add(f.name());
      }
    }
    if (!leaking.isEmpty() || labelColumn.equals(eventTime) || labelColumn.equals(keyColumn)) {
      throw FeatureErrors.invalidSpec(
          what,
          "the label column '"
              + labelColumn
              + "' is an input of "
              + (leaking.isEmpty() ? "the key or event time" : "feature(s) " + leaking)
              + " (label leakage)",
          "remove it from the feature inputs");
    }
    List<String> outputs = new ArrayList<>();
    for (FeatureDef f : features) {
      outputs.add(f.name());
    }
    if (outputs.stream().distinct().count() != outputs.size()) {
      throw FeatureErrors.invalidSpec(
          what, "a feature name is declared twice among " + outputs, "name each feature once");
    }
    List<String> reserved = List.of(labelColumn, keyColumn, Splits.COLUMN);
    for (String o : outputs) {
      if (reserved.contains(o)) {
        throw FeatureErrors.invalidSpec(
            what,
            "feature name '" + o + "' clashes with the label, key or split column",
            "rename the feature");
      }
    }
    boolean needsTime =
        features.stream().anyMatch(f -> f instanceof FeatureDef.WindowFeature)
            || split instanceof SplitPolicy.TimeCutoffs;
    if (needsTime && eventTime.isEmpty()) {
      throw FeatureErrors.invalidSpec(
          what,
          "window aggregates and the time split need an event-time column",
          "set event_time: <date or timestamp column>");
    }
  }

  /**
   * A spec of numeric columns used as they are and categorical columns index-encoded, split by key
   * hash: the form built from the {@code features.*} config keys when no spec file is given.
   */
  public static FeatureSetSpec ofColumns(
      String name,
      String label,
      String key,
      List<String> numeric,
      List<String> categorical,
      double trainFraction,
      double validationFraction,
      long seed) {
    List<FeatureDef> defs = new ArrayList<>();
    numeric.forEach(c -> defs.add(new FeatureDef.NumericFeature(c, c, "none")));
    categorical.forEach(c -> defs.add(new FeatureDef.CategoricalFeature(c, c, "index")));
    return new FeatureSetSpec(
        name,
        label,
        key,
        "",
        defs,
        new SplitPolicy.KeyHash(trainFraction, validationFraction, seed));
  }

  /** Reads a spec file through the storage port. */
  public static FeatureSetSpec load(Storage storage, String location) {
    String text;
    try {
      text = storage.readText(location);
    } catch (java.io.UncheckedIOException e) {
      throw FeatureErrors.invalidSpec(
          "read the feature-set spec '" + location + "'",
          e.getMessage(),
          "check features.spec; an example lives in conf/features/demo.yaml");
    }
    return parse(text, "feature-set spec " + location);
  }

  /** Parses spec YAML; unknown keys are rejected at every level with the list of valid ones. */
  @SuppressWarnings("unchecked")
  public static FeatureSetSpec parse(String text, String origin) {
    Map<String, Object> top = YamlDocs.parse(text, origin);
    YamlDocs.requireKnownKeys(top, KEYS, "the top level", origin);
    Object rawFeatures = top.get("features");
    if (!(rawFeatures instanceof List<?> list)) {
      throw FeatureErrors.invalidSpec(
          "read " + origin,
          "'features' must be a list of feature definitions",
          "write features: [{name: amount, type: numeric}, ...]");
    }
    List<FeatureDef> defs = new ArrayList<>();
    for (Object item : list) {
      if (!(item instanceof Map<?, ?> m)) {
        throw FeatureErrors.invalidSpec(
            "read " + origin,
            "feature entry '" + item + "' is not a mapping",
            "write {name: ..., type: ...}");
      }
      defs.add(FeatureDef.parse((Map<String, Object>) m, origin));
    }
    Object rawSplit = top.get("split");
    Map<String, Object> split =
        rawSplit instanceof Map<?, ?> s ? (Map<String, Object>) s : new LinkedHashMap<>();
    return new FeatureSetSpec(
        YamlDocs.string(top, "name", origin),
        YamlDocs.string(top, "label", origin),
        YamlDocs.string(top, "key", origin),
        top.containsKey("event_time") ? String.valueOf(top.get("event_time")) : "",
        defs,
        SplitPolicy.parse(split, origin));
  }

  /** The raw columns the build reads: every feature input, the label, key and event time. */
  public List<String> inputColumns() {
    List<String> all = new ArrayList<>();
    all.add(keyColumn);
    all.add(labelColumn);
    if (!eventTime.isEmpty()) {
      all.add(eventTime);
    }
    for (FeatureDef f : features) {
      for (String c : f.inputs()) {
        if (!all.contains(c)) {
          all.add(c);
        }
      }
    }
    return all;
  }

  /** The spec as plain values in a fixed order, defaults filled in. */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", name);
    m.put("label", labelColumn);
    m.put("key", keyColumn);
    m.put("event_time", eventTime);
    m.put("features", features.stream().map(FeatureDef::canonical).toList());
    m.put("split", split.canonical());
    return m;
  }

  /**
   * Canonical JSON of everything that changes the built data, the input of the version hash: the
   * same for any two spellings of one spec (key order, comments, defaults written or left out).
   */
  public String canonical() {
    return YamlDocs.toJson(toMap());
  }
}

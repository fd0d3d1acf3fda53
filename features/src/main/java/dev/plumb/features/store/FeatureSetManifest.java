package dev.plumb.features.store;

import dev.plumb.features.io.HandOffs;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The manifest of a stored feature-set version, written last: what the version is, what it was
 * built from, its features and split sizes. A version is complete exactly when this reads back.
 */
public record FeatureSetManifest(
    String featureSet,
    String featureSetVersion,
    String createdAt,
    String codeVersion,
    String sourceFingerprint,
    String sourceTable,
    long sourceTableVersion,
    String schemaHash,
    String label,
    String key,
    String eventTime,
    Map<String, Object> splitPolicy,
    List<Feature> features,
    long rows,
    Map<String, Long> splitSizes,
    Map<String, Object> spec,
    String validationStatus) {

  /** The JSON format written; readers accept this one and the earlier ones. */
  public static final int FORMAT_VERSION = 1;

  /** One feature column: its name, transform type, null count and single-feature ROC-AUC. */
  public record Feature(String name, String type, long nullCount, Double singleFeatureRocAuc) {}

  public FeatureSetManifest {
    features = List.copyOf(features);
    splitSizes = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(splitSizes));
    spec = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(spec));
    splitPolicy = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(splitPolicy));
  }

  public Map<String, Object> toJson() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("format_version", FORMAT_VERSION);
    m.put("feature_set", featureSet);
    m.put("feature_set_version", featureSetVersion);
    m.put("created_at", createdAt);
    m.put("code_version", codeVersion);
    m.put("source_fingerprint", sourceFingerprint);
    m.put("source_table", sourceTable);
    m.put("source_table_version", sourceTableVersion);
    m.put("schema_hash", schemaHash);
    m.put("label", label);
    m.put("key", key);
    m.put("event_time", eventTime);
    m.put("split_policy", splitPolicy);
    m.put(
        "features",
        features.stream()
            .map(
                f -> {
                  Map<String, Object> e = new LinkedHashMap<>();
                  e.put("name", f.name());
                  e.put("type", f.type());
                  e.put("null_count", f.nullCount());
                  e.put("single_feature_roc_auc", f.singleFeatureRocAuc());
                  return e;
                })
            .toList());
    m.put("rows", rows);
    m.put("split_sizes", splitSizes);
    m.put("spec", spec);
    m.put("validation_status", validationStatus);
    return m;
  }

  /** Reads the JSON form written by any release so far (those without a format version too). */
  public static FeatureSetManifest fromJson(Map<String, Object> json, String location) {
    HandOffs h =
        HandOffs.of(
            json,
            "the feature-set manifest",
            location,
            "rebuild the version with './plumb features --force'",
            FORMAT_VERSION);
    List<Feature> features =
        h.objects("features").stream()
            .map(
                f ->
                    new Feature(
                        String.valueOf(f.get("name")),
                        String.valueOf(f.get("type")),
                        f.get("null_count") instanceof Number n ? n.longValue() : 0L,
                        f.get("single_feature_roc_auc") instanceof Number a
                            ? a.doubleValue()
                            : null))
            .toList();
    return new FeatureSetManifest(
        h.string("feature_set"),
        h.string("feature_set_version"),
        h.string("created_at"),
        h.stringOr("code_version", ""),
        h.string("source_fingerprint"),
        h.string("source_table"),
        h.number("source_table_version"),
        h.stringOr("schema_hash", ""),
        h.string("label"),
        h.string("key"),
        h.stringOr("event_time", ""),
        h.mapOr("split_policy"),
        features,
        h.number("rows"),
        h.longs("split_sizes"),
        h.mapOr("spec"),
        h.stringOr("validation_status", ""));
  }

  /** The feature names, in model order. */
  public List<String> featureNames() {
    return features.stream().map(Feature::name).toList();
  }
}

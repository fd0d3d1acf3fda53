package dev.plumb.jobs;

import dev.plumb.features.FeatureSetBuilder;
import dev.plumb.features.FeatureSetSpec;
import dev.plumb.features.FeatureSetVersion;
import dev.plumb.features.FittedTransform;
import dev.plumb.features.io.Locations;
import dev.plumb.features.io.Storage;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Features: builds the feature set for the ingested data, or reuses it when the same version is
 * already in the store. Layout: {@code <store>/<name>/<version>/{data,transform.json,
 * manifest.json}}; the manifest is written last, so a version without one is incomplete.
 */
final class FeaturesStage {

  static final String MANIFEST = "manifest.json";
  static final String TRANSFORM = "transform.json";
  static final String DATA = "data";
  static final String LATEST = "LATEST";

  /** What the features stage produced or found. */
  record Result(
      FeatureSetVersion version, String directory, boolean built, Map<String, Object> manifest) {}

  private FeaturesStage() {}

  static String store(PlumbConfig config) {
    return config.pathOr("features.store", "features");
  }

  static Result run(SparkSession spark, PlumbConfig config, RunTracker tracker) {
    Map<String, Object> ingest =
        JsonFiles.read(IngestStage.reportPath(config), "the ingest report", "ingest");
    String fingerprint = String.valueOf(ingest.get("data_fingerprint"));
    FeatureSetSpec spec = config.featureSetSpec();
    FeatureSetVersion version = FeatureSetVersion.of(fingerprint, spec);
    Storage storage = Storages.of(spark);
    String setDir =
        Locations.join(store(config), Locations.checkSegment(spec.name(), "the feature set name"));
    String dir = Locations.join(setDir, version.id());
    String manifestPath = Locations.join(dir, MANIFEST);
    Map<String, Object> existing = manifest(storage, dir);
    if (existing != null && !config.flag("features.force")) {
      Log.info("features: version " + version + " is in the store: reused, nothing recomputed");
      JsonFiles.writeText(Locations.join(setDir, LATEST), version.id());
      return new Result(version, dir, false, existing);
    }
    if (existing == null && storage.exists(manifestPath)) {
      Log.warn(
          "features: the manifest of version "
              + version
              + " cannot be read (an interrupted or damaged write): the version is unfinished and"
              + " is rebuilt");
    }
    Log.info("features: building version " + version + " of '" + spec.name() + "'");
    Dataset<Row> clean =
        spark
            .read()
            .format("delta")
            .option("versionAsOf", ((Number) ingest.get("clean_table_version")).longValue())
            .load(String.valueOf(ingest.get("clean_table")));
    FeatureSetBuilder builder = new FeatureSetBuilder(spec);
    FeatureSetBuilder.FeatureSet set = builder.build(clean);
    set.table()
        .write()
        .format("delta")
        .mode("overwrite")
        .option("overwriteSchema", "true")
        .save(Locations.join(dir, DATA));
    JsonFiles.writeText(Locations.join(dir, TRANSFORM), set.transform().toJson());
    Dataset<Row> stored = spark.read().format("delta").load(Locations.join(dir, DATA));
    List<String> featureNames = set.transform().featureNames();
    Map<String, Double> singleFeatureAuc =
        builder.checkLeakage(
            stored,
            featureNames,
            config.number("features.max_single_feature_auc"),
            config.list("features.allow_leaky"));
    Map<String, Object> stats = builder.statistics(stored, featureNames);

    Map<String, Object> manifest = new LinkedHashMap<>();
    manifest.put("feature_set", spec.name());
    manifest.put("feature_set_version", version.id());
    manifest.put("created_at", Instant.now().toString());
    manifest.put("code_version", FeatureSetVersion.CODE_VERSION);
    manifest.put("source_fingerprint", fingerprint);
    manifest.put("source_table", ingest.get("clean_table"));
    manifest.put("source_table_version", ingest.get("clean_table_version"));
    manifest.put(
        "schema_hash",
        dev.plumb.features.DataFingerprint.ofFiles(List.of(), stored.schema().json()).hash());
    manifest.put("label", spec.labelColumn());
    manifest.put("key", spec.keyColumn());
    manifest.put("event_time", spec.eventTime());
    manifest.put("split_policy", spec.split().canonical());
    @SuppressWarnings("unchecked")
    Map<String, Object> nulls = (Map<String, Object>) stats.get("null_counts");
    Map<String, String> types = set.transform().featureTypes();
    List<Map<String, Object>> features =
        featureNames.stream()
            .map(
                f -> {
                  Map<String, Object> e = new LinkedHashMap<>();
                  e.put("name", f);
                  e.put("type", types.get(f));
                  e.put("null_count", nulls.get(f));
                  e.put("single_feature_roc_auc", singleFeatureAuc.get(f));
                  return e;
                })
            .toList();
    manifest.put("features", features);
    manifest.put("rows", stats.get("rows"));
    manifest.put("split_sizes", stats.get("split_sizes"));
    manifest.put("spec", spec.toMap());
    manifest.put("validation_status", "passed");
    // Published in this order: data, transform, manifest, then LATEST. Each is one whole-file
    // write (see Storage#write), so a version is complete exactly when its manifest parses, on
    // object stores without atomic rename too.
    FaultPoints.reach(FaultPoints.FEATURES_BEFORE_MANIFEST);
    JsonFiles.write(manifestPath, manifest);
    JsonFiles.writeText(Locations.join(setDir, LATEST), version.id());
    Log.info("features: version " + version + " written with " + stats.get("split_sizes"));
    return new Result(version, dir, true, manifest);
  }

  /**
   * The manifest of the version in {@code dir}, or null when the version is unfinished: no
   * manifest, or one that cannot be parsed (a write cut short or a damaged file). An unfinished
   * version is never reused; the next build of it rebuilds it.
   */
  static Map<String, Object> manifest(Storage storage, String dir) {
    String location = Locations.join(dir, MANIFEST);
    if (!storage.isFile(location)) {
      return null;
    }
    try {
      Map<String, Object> m = JsonFiles.parse(storage.read(location), location, "", "features");
      return m.get("feature_set_version") == null || m.get("split_sizes") == null ? null : m;
    } catch (IllegalStateException e) {
      return null;
    }
  }

  /** The stored versions of every feature set, newest first, as printable lines. */
  static List<String> list(PlumbConfig config) {
    Storage storage = Storages.beforeSpark(config.sparkConf());
    List<Map<String, Object>> manifests = new java.util.ArrayList<>();
    List<String> incomplete = new java.util.ArrayList<>();
    for (Storage.Entry set : storage.list(store(config))) {
      if (!set.directory()) {
        continue;
      }
      for (Storage.Entry v : storage.list(set.location())) {
        if (!v.directory()) {
          continue;
        }
        Map<String, Object> m = manifest(storage, v.location());
        if (m != null) {
          manifests.add(m);
        } else {
          incomplete.add(
              set.name()
                  + "/"
                  + v.name()
                  + (storage.exists(Locations.join(v.location(), MANIFEST))
                      ? "  (incomplete: its manifest cannot be read; the next build of this"
                          + " version rebuilds it)"
                      : "  (incomplete: no manifest; the next build of this version rebuilds"
                          + " it)"));
        }
      }
    }
    manifests.sort(
        java.util.Comparator.comparing(
                (Map<String, Object> m) -> String.valueOf(m.get("created_at")))
            .reversed());
    List<String> lines = new java.util.ArrayList<>();
    lines.add(
        String.format(
            "%-12s %-17s %-25s %10s  %-26s %s",
            "NAME", "VERSION", "CREATED", "ROWS", "SPLITS (train/val/test)", "SOURCE"));
    for (Map<String, Object> m : manifests) {
      @SuppressWarnings("unchecked")
      Map<String, Object> splits = (Map<String, Object>) m.get("split_sizes");
      lines.add(
          String.format(
              "%-12s %-17s %-25s %10s  %-26s %s",
              m.get("feature_set"),
              m.get("feature_set_version"),
              m.get("created_at"),
              m.get("rows"),
              splits.get("train") + "/" + splits.get("validation") + "/" + splits.get("test"),
              String.valueOf(m.get("source_fingerprint")).substring(0, 12)
                  + " "
                  + m.get("source_table")));
    }
    lines.addAll(incomplete);
    return lines;
  }

  /** The version to use: the given one, or the store's latest for the configured name. */
  static String resolve(PlumbConfig config, String version) {
    String setDir =
        Locations.join(
            store(config),
            Locations.checkSegment(config.string("features.name"), "the feature set name"));
    String v =
        version.isEmpty()
            ? JsonFiles.readText(
                Locations.join(setDir, LATEST), "the latest feature set", "features")
            : version;
    String dir = Locations.join(setDir, Locations.checkSegment(v, "the feature set version"));
    if (manifest(Storages.current(), dir) == null) {
      throw JobErrors.missingStageOutput(
          "a complete feature set version " + v + " (with a readable manifest)", dir, "features");
    }
    return dir;
  }

  /**
   * Applies a stored version's fitted transform to new raw data (a Delta table or Parquet folder)
   * and writes the feature rows as a Delta table: the same code path as the build, so the same rows
   * give the same values. Window aggregates see only the rows of {@code input}. Returns the number
   * of rows written.
   */
  static long apply(
      SparkSession spark, PlumbConfig config, String version, String input, String output) {
    if (version.isEmpty()) {
      throw JobErrors.usage("features apply needs --version V (see 'plumb features list')");
    }
    String dir = resolve(config, version);
    FittedTransform transform = transform(dir);
    Storage storage = Storages.of(spark);
    if (!storage.exists(input)) {
      throw new IllegalArgumentException(
          "Cannot apply feature set version "
              + version
              + ": input '"
              + input
              + "' does not exist (pass --input <Delta table or Parquet folder>)");
    }
    boolean delta = storage.isDirectory(Locations.join(input, "_delta_log"));
    Dataset<Row> raw = spark.read().format(delta ? "delta" : "parquet").load(input);
    Dataset<Row> features = transform.apply(raw); // checks the schema before any job runs
    features
        .write()
        .format("delta")
        .mode("overwrite")
        .option("overwriteSchema", "true")
        .save(output);
    long rows = spark.read().format("delta").load(output).count();
    Log.info(
        "features: applied version "
            + version
            + " to "
            + input
            + ": "
            + rows
            + " rows -> "
            + output);
    return rows;
  }

  static FittedTransform transform(String dir) {
    String location = Locations.join(dir, TRANSFORM);
    String text = JsonFiles.readText(location, "the fitted transform", "features --force");
    try {
      return FittedTransform.fromJson(text);
    } catch (RuntimeException e) {
      throw new dev.plumb.features.PlumbException(
          dev.plumb.features.PlumbException.Category.BAD_INPUT,
          "Cannot read the fitted transform at "
              + location
              + ": it is damaged ("
              + String.valueOf(e.getMessage()).lines().findFirst().orElse("")
              + "); rebuild the version with './plumb features --force'",
          e);
    }
  }
}

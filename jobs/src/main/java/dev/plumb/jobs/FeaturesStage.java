package dev.plumb.jobs;

import dev.plumb.features.FeatureSetBuilder;
import dev.plumb.features.FeatureSetManifest;
import dev.plumb.features.FeatureSetSpec;
import dev.plumb.features.FeatureSetVersion;
import dev.plumb.features.FittedTransform;
import dev.plumb.features.IngestReport;
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
      FeatureSetVersion version, String directory, boolean built, FeatureSetManifest manifest) {}

  private FeaturesStage() {}

  static String store(PlumbConfig config) {
    return config.pathOr("features.store", "features");
  }

  static Result run(SparkSession spark, PlumbConfig config, RunTracker tracker) {
    IngestReport ingest = IngestStage.report(IngestStage.reportPath(config));
    String fingerprint = ingest.dataFingerprint();
    FeatureSetSpec spec = config.featureSetSpec();
    FeatureSetVersion version = FeatureSetVersion.of(fingerprint, spec);
    Storage storage = Storages.of(spark);
    String setDir =
        Locations.join(store(config), Locations.checkSegment(spec.name(), "the feature set name"));
    String dir = Locations.join(setDir, version.id());
    String manifestPath = Locations.join(dir, MANIFEST);
    FeatureSetManifest existing = manifest(storage, dir);
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
            .option("versionAsOf", ingest.cleanTableVersion())
            .load(ingest.cleanTable());
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

    @SuppressWarnings("unchecked")
    Map<String, Object> nulls = (Map<String, Object>) stats.get("null_counts");
    @SuppressWarnings("unchecked")
    Map<String, Object> splitSizes = (Map<String, Object>) stats.get("split_sizes");
    Map<String, Long> splits = new LinkedHashMap<>();
    splitSizes.forEach((k, v) -> splits.put(k, ((Number) v).longValue()));
    Map<String, String> types = set.transform().featureTypes();
    FeatureSetManifest manifest =
        new FeatureSetManifest(
            spec.name(),
            version.id(),
            Instant.now().toString(),
            FeatureSetVersion.CODE_VERSION,
            fingerprint,
            ingest.cleanTable(),
            ingest.cleanTableVersion(),
            dev.plumb.features.DataFingerprint.ofFiles(List.of(), stored.schema().json()).hash(),
            spec.labelColumn(),
            spec.keyColumn(),
            spec.eventTime(),
            spec.split().canonical(),
            featureNames.stream()
                .map(
                    f ->
                        new FeatureSetManifest.Feature(
                            f,
                            types.get(f),
                            ((Number) nulls.get(f)).longValue(),
                            singleFeatureAuc.get(f)))
                .toList(),
            ((Number) stats.get("rows")).longValue(),
            splits,
            spec.toMap(),
            "passed");
    // Published in this order: data, transform, manifest, then LATEST. Each is one whole-file
    // write (see Storage#write), so a version is complete exactly when its manifest parses, on
    // object stores without atomic rename too.
    FaultPoints.reach(FaultPoints.FEATURES_BEFORE_MANIFEST);
    JsonFiles.write(manifestPath, manifest.toJson());
    JsonFiles.writeText(Locations.join(setDir, LATEST), version.id());
    Log.info("features: version " + version + " written with " + splits);
    return new Result(version, dir, true, manifest);
  }

  /**
   * The manifest of the version in {@code dir}, or null when the version is unfinished: no
   * manifest, or one that cannot be parsed (a write cut short or a damaged file). An unfinished
   * version is never reused; the next build of it rebuilds it.
   */
  static FeatureSetManifest manifest(Storage storage, String dir) {
    String location = Locations.join(dir, MANIFEST);
    if (!storage.isFile(location)) {
      return null;
    }
    try {
      return FeatureSetManifest.fromJson(
          JsonFiles.parse(storage.read(location), location, "the manifest", "features --force"),
          location);
    } catch (RuntimeException e) {
      return null; // damaged: the build says it rebuilds, the listing says it is incomplete
    }
  }

  /** The stored versions of every feature set, newest first, as printable lines. */
  static List<String> list(PlumbConfig config) {
    Storage storage = Storages.beforeSpark(config.sparkConf());
    List<FeatureSetManifest> manifests = new java.util.ArrayList<>();
    List<String> incomplete = new java.util.ArrayList<>();
    for (Storage.Entry set : storage.list(store(config))) {
      if (!set.directory()) {
        continue;
      }
      for (Storage.Entry v : storage.list(set.location())) {
        if (!v.directory()) {
          continue;
        }
        FeatureSetManifest m = manifest(storage, v.location());
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
    manifests.sort(java.util.Comparator.comparing(FeatureSetManifest::createdAt).reversed());
    List<String> lines = new java.util.ArrayList<>();
    lines.add(
        String.format(
            "%-12s %-17s %-25s %10s  %-26s %s",
            "NAME", "VERSION", "CREATED", "ROWS", "SPLITS (train/val/test)", "SOURCE"));
    for (FeatureSetManifest m : manifests) {
      Map<String, Long> splits = m.splitSizes();
      lines.add(
          String.format(
              "%-12s %-17s %-25s %10s  %-26s %s",
              m.featureSet(),
              m.featureSetVersion(),
              m.createdAt(),
              m.rows(),
              splits.get("train") + "/" + splits.get("validation") + "/" + splits.get("test"),
              m.sourceFingerprint().substring(0, Math.min(12, m.sourceFingerprint().length()))
                  + " "
                  + m.sourceTable()));
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

package dev.plumb.jobs;

import dev.plumb.features.FeatureSetBuilder;
import dev.plumb.features.FeatureSetSpec;
import dev.plumb.features.FeatureSetVersion;
import dev.plumb.features.Splits;
import dev.plumb.features.ingest.IngestReport;
import dev.plumb.features.io.JsonFiles;
import dev.plumb.features.io.Laps;
import dev.plumb.features.io.Locations;
import dev.plumb.features.io.Log;
import dev.plumb.features.io.SparkSql;
import dev.plumb.features.io.Storages;
import dev.plumb.features.store.FeatureSetManifest;
import dev.plumb.features.store.FeatureStore;
import dev.plumb.jobs.tracking.RunTracker;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Observation;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Features: builds the feature set for the ingested data, or reuses it when the same version is
 * already in the store. Layout: {@code <store>/<name>/<version>/{data,transform.json,
 * manifest.json}}; the manifest is written last, so a version without one is incomplete.
 */
final class FeaturesStage {

  /**
   * What the features stage produced or found.
   *
   * @param timings wall-clock seconds of each part of a build ({@code read_and_fit}, {@code write},
   *     {@code leakage_guard}, {@code statistics}, {@code publish}, {@code total}); of a reuse,
   *     {@code lookup} and {@code total}
   */
  record Result(
      FeatureSetVersion version,
      String directory,
      boolean built,
      FeatureSetManifest manifest,
      Map<String, Double> timings) {}

  /** The stage's report: version, built or reused, and the timings of its parts. */
  static String reportPath(PlumbConfig config) {
    return Locations.join(config.workDir(), "reports", "features-report.json");
  }

  private FeaturesStage() {}

  static String store(PlumbConfig config) {
    return config.pathOr("features.store", "features");
  }

  static Result run(SparkSession spark, PlumbConfig config, RunTracker tracker) {
    Laps parts = new Laps();
    Result result = build(spark, config, parts);
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("feature_set", config.string("features.name"));
    report.put("version", result.version().id());
    report.put("directory", result.directory());
    report.put("built", result.built());
    report.put("rows", result.manifest().rows());
    report.put("split_sizes", result.manifest().splitSizes());
    report.put("timings_s", result.timings());
    JsonFiles.write(reportPath(config), report);
    return result;
  }

  private static Result build(SparkSession spark, PlumbConfig config, Laps parts) {
    IngestReport ingest = IngestStage.report(IngestStage.reportPath(config));
    String fingerprint = ingest.dataFingerprint();
    FeatureSetSpec spec = config.featureSetSpec();
    FeatureSetVersion version = FeatureSetVersion.of(fingerprint, spec);
    FeatureStore store = new FeatureStore(Storages.of(spark), store(config));
    String dir = store.versionDir(spec.name(), version);
    FeatureSetManifest existing = store.manifest(dir);
    if (existing != null && !config.flag("features.force")) {
      Log.info("features: version " + version + " is in the store: reused, nothing recomputed");
      store.markLatest(spec.name(), version.id());
      parts.lap("lookup");
      return new Result(version, dir, false, existing, parts.withTotal());
    }
    if (existing == null && store.hasManifestFile(dir)) {
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
    parts.lap("read_and_fit");
    List<String> featureNames = set.transform().featureNames();
    // The manifest's statistics are counted on the rows as they are written: no pass of their own.
    List<Column> statistics = builder.statisticsAggregations(featureNames);
    Observation written = new Observation("plumb-features-statistics");
    SparkSql.replaceDelta(
        set.table()
            .observe(
                written,
                statistics.get(0),
                statistics.subList(1, statistics.size()).toArray(new Column[0])),
        FeatureStore.data(dir),
        // Delta's file statistics (min, max, null count) on the key and the split only, not on
        // every column: Plumb counts the manifest's statistics as it writes. The split keeps its
        // statistics so that a file without rows of a split stays out of that split's scans:
        // XGBoost4J-Spark repartitions only when a scan's partition count differs from its
        // workers, and a worker given a partition without rows fails the fit.
        Map.of(
            SparkSql.STATS_COLUMNS,
            SparkSql.quoted(spec.keyColumn()) + "," + SparkSql.quoted(Splits.COLUMN)));
    store.writeTransform(dir, set.transform());
    parts.lap("write");
    Dataset<Row> stored = spark.read().format("delta").load(FeatureStore.data(dir));
    Map<String, Double> singleFeatureAuc =
        builder.checkLeakage(
            stored,
            featureNames,
            config.number("features.max_single_feature_auc"),
            config.list("features.allow_leaky"));
    parts.lap("leakage_guard");
    Map<String, Object> stats =
        builder.statistics(SparkSql.observed(written, "features"), featureNames);

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
            dev.plumb.features.ingest.DataFingerprint.ofFiles(List.of(), stored.schema().json())
                .hash(),
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
    // Published in this order: data, transform, manifest, then LATEST (see FeatureStore).
    store.publish(spec.name(), dir, manifest);
    parts.lap("publish");
    Map<String, Double> timings = parts.withTotal();
    Log.info(
        "features: version "
            + version
            + " written with "
            + splits
            + "; seconds by part "
            + timings);
    return new Result(version, dir, true, manifest, timings);
  }

  /** The feature store of {@code config}, through the running session's storage. */
  static FeatureStore featureStore(PlumbConfig config) {
    return new FeatureStore(config.storage(), store(config));
  }

  /**
   * The rows of {@code split} in the feature set at {@code featureDir}, from its manifest; -1 if
   * absent.
   */
  static long splitRows(PlumbConfig config, String featureDir, String split) {
    Long n = featureStore(config).manifest(featureDir).splitSizes().get(split);
    return n == null ? -1 : n;
  }

  /** The folder of the version to use: the given one, or the latest for the configured name. */
  static String resolve(PlumbConfig config, String version) {
    return featureStore(config).resolve(config.string("features.name"), version);
  }
}

package dev.plumb.features.store;

import dev.plumb.features.FeatureSetVersion;
import dev.plumb.features.FittedTransform;
import dev.plumb.features.io.FaultPoints;
import dev.plumb.features.io.JsonFiles;
import dev.plumb.features.io.Locations;
import dev.plumb.features.io.Log;
import dev.plumb.features.io.PlumbException;
import dev.plumb.features.io.SparkSql;
import dev.plumb.features.io.Storage;
import dev.plumb.features.io.YamlDocs;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * The feature store: immutable versions of each feature set under one root, on any filesystem the
 * storage port reaches. Layout: {@code <root>/<name>/<version>/{data (Delta), transform.json,
 * manifest.json}} and {@code <root>/<name>/LATEST}. A version is complete exactly when its manifest
 * parses: the manifest is published after the data and the transform, and {@code LATEST} after the
 * manifest, each as one whole-file write (see {@link Storage#write}), so no atomic rename is needed
 * and object stores are safe too. Other stages read a version only through {@link #resolve}, {@link
 * #transform}, {@link #manifest} and {@link #data}.
 */
public final class FeatureStore {

  public static final String MANIFEST = "manifest.json";
  public static final String TRANSFORM = "transform.json";
  public static final String DATA = "data";
  public static final String LATEST = "LATEST";

  private final Storage storage;
  private final String root;

  public FeatureStore(Storage storage, String root) {
    this.storage = storage;
    this.root = root;
  }

  public String root() {
    return root;
  }

  /** The folder of the feature set {@code name} (checked to be one path segment). */
  public String setDir(String name) {
    return Locations.join(root, Locations.checkSegment(name, "the feature set name"));
  }

  /** The folder of one version of {@code name}. */
  public String versionDir(String name, FeatureSetVersion version) {
    return Locations.join(setDir(name), version.id());
  }

  /** The Delta table of the feature rows of the version in {@code dir}. */
  public static String data(String dir) {
    return Locations.join(dir, DATA);
  }

  /**
   * The manifest of the version in {@code dir}, or null when the version is unfinished: no
   * manifest, or one that cannot be parsed (a write cut short or a damaged file). An unfinished
   * version is never reused; the next build of it rebuilds it.
   */
  public FeatureSetManifest manifest(String dir) {
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

  /** True when a manifest file is there, readable or not. */
  public boolean hasManifestFile(String dir) {
    return storage.exists(Locations.join(dir, MANIFEST));
  }

  /** Writes the fitted transform of the version in {@code dir} (before its manifest). */
  public void writeTransform(String dir, FittedTransform transform) {
    storage.writeText(Locations.join(dir, TRANSFORM), transform.toJson());
  }

  /**
   * Publishes a built version: its manifest, then {@code LATEST} of its set. The data and the
   * transform must be written already.
   */
  public void publish(String name, String dir, FeatureSetManifest manifest) {
    FaultPoints.reach(FaultPoints.FEATURES_BEFORE_MANIFEST);
    storage.writeText(Locations.join(dir, MANIFEST), YamlDocs.toJson(manifest.toJson()));
    markLatest(name, Locations.name(dir));
  }

  /** Points {@code LATEST} of {@code name} at {@code versionId}. */
  public void markLatest(String name, String versionId) {
    storage.writeText(Locations.join(setDir(name), LATEST), versionId);
  }

  /**
   * The folder of the version to use: {@code version}, or the latest of {@code name} when empty;
   * fails naming the folder when that version is not complete.
   */
  public String resolve(String name, String version) {
    String setDir = setDir(name);
    String v =
        version.isEmpty()
            ? JsonFiles.readText(
                Locations.join(setDir, LATEST), "the latest feature set", "features")
            : version;
    String dir = Locations.join(setDir, Locations.checkSegment(v, "the feature set version"));
    if (manifest(dir) == null) {
      throw JsonFiles.missing(
          "a complete feature set version " + v + " (with a readable manifest)", dir, "features");
    }
    return dir;
  }

  /** The fitted transform of the version in {@code dir}; a damaged file fails naming it. */
  public FittedTransform transform(String dir) {
    String location = Locations.join(dir, TRANSFORM);
    String text = JsonFiles.readText(location, "the fitted transform", "features --force");
    try {
      return FittedTransform.fromJson(text);
    } catch (RuntimeException e) {
      throw new PlumbException(
          PlumbException.Category.BAD_INPUT,
          "Cannot read the fitted transform at "
              + location
              + ": it is damaged ("
              + String.valueOf(e.getMessage()).lines().findFirst().orElse("")
              + "); rebuild the version with './plumb features --force'",
          e);
    }
  }

  /** The stored versions of every feature set, newest first, as printable lines. */
  public List<String> list() {
    List<FeatureSetManifest> manifests = new ArrayList<>();
    List<String> incomplete = new ArrayList<>();
    for (Storage.Entry set : storage.list(root)) {
      if (!set.directory()) {
        continue;
      }
      for (Storage.Entry v : storage.list(set.location())) {
        if (!v.directory()) {
          continue;
        }
        FeatureSetManifest m = manifest(v.location());
        if (m != null) {
          manifests.add(m);
        } else {
          incomplete.add(
              set.name()
                  + "/"
                  + v.name()
                  + (hasManifestFile(v.location())
                      ? "  (incomplete: its manifest cannot be read; the next build of this"
                          + " version rebuilds it)"
                      : "  (incomplete: no manifest; the next build of this version rebuilds"
                          + " it)"));
        }
      }
    }
    manifests.sort(Comparator.comparing(FeatureSetManifest::createdAt).reversed());
    List<String> lines = new ArrayList<>();
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

  /**
   * Applies the fitted transform of version {@code version} of {@code name} to new raw data (a
   * Delta table or Parquet folder) and writes the feature rows as a Delta table: the same code path
   * as the build, so the same rows give the same values. Window aggregates see only the rows of
   * {@code input}. Returns the number of rows written.
   */
  public long apply(SparkSession spark, String name, String version, String input, String output) {
    String dir = resolve(name, version);
    FittedTransform transform = transform(dir);
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
    SparkSql.replaceDelta(features, output, Map.of());
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
}

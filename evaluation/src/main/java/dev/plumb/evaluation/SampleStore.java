package dev.plumb.evaluation;

import dev.plumb.features.ingest.DataFingerprint;
import dev.plumb.features.io.JsonFiles;
import dev.plumb.features.io.Locations;
import dev.plumb.features.io.Log;
import dev.plumb.features.io.SparkSql;
import dev.plumb.features.io.Storage;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.SparkSession;

/**
 * Fast mode's stored samples, kept with the evaluation's own outputs ({@code <root>/<feature
 * set>/<version>/<id>/}: the sampled rows as a Delta table, then {@code sample.json}, written
 * last), never inside the immutable feature set. The feature set is immutable, so the same
 * deterministic sample of its test split is valid for every later fast evaluation, which then reads
 * about the sample's rows instead of scanning the whole split twice.
 */
public final class SampleStore {

  /** The folder under the work dir that holds the samples. */
  public static final String FOLDER = "eval-samples";

  static final String SAMPLE_META = "sample.json";

  private final Storage storage;
  private final String root;

  /**
   * @param storage the storage port
   * @param root the samples' root (normally {@code <work_dir>/eval-samples})
   */
  public SampleStore(Storage storage, String root) {
    this.storage = storage;
    this.root = root;
  }

  /** The folder of the samples of one feature-set version. */
  public String versionDir(String featureSet, String version) {
    return Locations.join(
        root,
        Locations.checkSegment(featureSet, "the feature set name"),
        Locations.checkSegment(version, "the feature set version"));
  }

  /**
   * Fast mode on the stored sample of the test split of {@code featureSet} {@code version}, drawn
   * and stored on first use.
   *
   * @param expectedRows the test split's rows by the feature set's manifest (-1: unknown), so the
   *     first draw needs one scan of the split and no count
   */
  public EvalReport fast(
      SparkSession spark,
      String featureSet,
      String version,
      Evaluator.Input input,
      EvalSpec spec,
      long expectedRows) {
    String versionDir = versionDir(featureSet, version);
    String id =
        DataFingerprint.sha256(input.label() + "|" + input.key() + "|" + spec.sample().toString())
            .substring(0, 16);
    String dir = Locations.join(versionDir, id);
    String meta = Locations.join(dir, SAMPLE_META);
    String rows = Locations.join(dir, "rows");
    if (storage.isFile(meta)) {
      Map<String, Object> m =
          JsonFiles.parse(storage.read(meta), meta, "the stored fast-mode sample", "evaluate");
      Log.info("evaluate (fast): the sample " + id + " is reused from " + versionDir);
      return Evaluator.evaluateSample(
          input,
          spark.read().format("delta").load(rows),
          spec,
          longs(m.get("strata_sizes")),
          longs(m.get("sample_sizes")));
    }
    try (StratifiedSample.Result s =
        StratifiedSample.draw(
            input.predictions(), input.label(), input.key(), spec.sample(), expectedRows)) {
      SparkSql.replaceDelta(s.rows(), rows, Map.of());
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("sample", spec.sample().toString());
      m.put("label", input.label());
      m.put("key", input.key());
      m.put("strata_sizes", s.strataSizes());
      m.put("sample_sizes", s.sampleSizes());
      JsonFiles.write(meta, m);
      Log.info("evaluate (fast): drew the sample " + id + " and stored it in " + versionDir);
      return Evaluator.evaluateSample(
          input, spark.read().format("delta").load(rows), spec, s.strataSizes(), s.sampleSizes());
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Long> longs(Object value) {
    Map<String, Long> out = new TreeMap<>();
    ((Map<String, Object>) value).forEach((k, v) -> out.put(k, ((Number) v).longValue()));
    return out;
  }
}

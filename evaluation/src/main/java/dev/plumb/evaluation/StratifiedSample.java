package dev.plumb.evaluation;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat_ws;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.shiftright;
import static org.apache.spark.sql.functions.xxhash64;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * A deterministic stratified sample: every row gets a seeded 64-bit hash of its key; within each
 * stratum (label, optionally also a slice column) the {@code k} rows with the smallest hashes are
 * kept, {@code k = round(fraction * stratum size)}. The same rows come back on every run, whatever
 * the partitioning. Exact without a sort: one pass counts rows per (stratum, top 12 hash bits),
 * which locates the bucket holding each stratum's cut; one small pass reads the hashes in that
 * bucket to find the exact cut; the sample is then a filter.
 */
public final class StratifiedSample {

  private static final String STRATUM = "_plumb_stratum";
  private static final String HASH = "_plumb_hash";
  private static final String BUCKET = "_plumb_bucket";

  private StratifiedSample() {}

  /** The sample, and the stratum sizes it was drawn from. */
  public record Result(
      Dataset<Row> rows, Map<String, Long> strataSizes, Map<String, Long> sampleSizes) {

    /** Rows in the sample. */
    public long size() {
      return sampleSizes.values().stream().mapToLong(Long::longValue).sum();
    }
  }

  /**
   * Draws the sample.
   *
   * @param data the rows to sample
   * @param label the label column (always a stratum dimension)
   * @param key the key column whose hash orders rows
   * @param spec fraction or size, extra stratum column and seed
   */
  public static Result draw(Dataset<Row> data, String label, String key, EvalSpec.Sample spec) {
    for (String c : List.of(label, key)) {
      if (!List.of(data.columns()).contains(c)) {
        throw EvalErrors.missingColumn("the sample's", c, data.schema());
      }
    }
    if (!spec.stratifyBy().isEmpty() && !List.of(data.columns()).contains(spec.stratifyBy())) {
      throw EvalErrors.missingColumn("the stratify_by", spec.stratifyBy(), data.schema());
    }
    Column stratum =
        spec.stratifyBy().isEmpty()
            ? col(label).cast("string")
            : concat_ws(
                "|",
                col(label).cast("string"),
                coalesce(col(spec.stratifyBy()).cast("string"), lit("null")));
    Dataset<Row> hashed =
        data.withColumn(STRATUM, coalesce(stratum, lit("null")))
            .withColumn(HASH, xxhash64(lit(spec.seed()), col(key).cast("string")));
    List<Row> buckets =
        hashed
            .groupBy(col(STRATUM), shiftright(col(HASH), 52).as(BUCKET))
            .agg(count(lit(1)))
            .collectAsList();
    Map<String, TreeMap<Long, Long>> perStratum = new TreeMap<>();
    Map<String, Long> sizes = new TreeMap<>();
    for (Row r : buckets) {
      perStratum
          .computeIfAbsent(r.getString(0), s -> new TreeMap<>())
          .put(r.getLong(1), r.getLong(2));
      sizes.merge(r.getString(0), r.getLong(2), Long::sum);
    }
    long total = sizes.values().stream().mapToLong(Long::longValue).sum();
    double fraction =
        spec.rows() > 0
            ? Math.min(1.0, (double) spec.rows() / Math.max(total, 1))
            : spec.fraction();
    // For each stratum: buckets below the cut bucket are kept whole; in the cut bucket, the
    // `need` smallest hashes.
    Map<String, Long> cutBucket = new HashMap<>();
    Map<String, Long> need = new HashMap<>();
    Map<String, Long> take = new LinkedHashMap<>();
    for (Map.Entry<String, TreeMap<Long, Long>> e : perStratum.entrySet()) {
      long k = Math.round(fraction * sizes.get(e.getKey()));
      take.put(e.getKey(), k);
      long seen = 0;
      for (Map.Entry<Long, Long> b : e.getValue().entrySet()) {
        if (seen + b.getValue() >= k) {
          cutBucket.put(e.getKey(), b.getKey());
          need.put(e.getKey(), k - seen);
          break;
        }
        seen += b.getValue();
      }
    }
    Column inCut = lit(false);
    for (Map.Entry<String, Long> e : cutBucket.entrySet()) {
      inCut =
          inCut.or(
              col(STRATUM)
                  .equalTo(e.getKey())
                  .and(shiftright(col(HASH), 52).equalTo(e.getValue())));
    }
    Map<String, List<Long>> cutHashes = new HashMap<>();
    for (Row r : hashed.filter(inCut).select(STRATUM, HASH).collectAsList()) {
      cutHashes.computeIfAbsent(r.getString(0), s -> new ArrayList<>()).add(r.getLong(1));
    }
    Column keep = lit(false);
    for (Map.Entry<String, Long> e : cutBucket.entrySet()) {
      long n = need.get(e.getKey());
      Column below = shiftright(col(HASH), 52).lt(e.getValue());
      if (n > 0) {
        List<Long> hashes = cutHashes.get(e.getKey());
        hashes.sort(Long::compare);
        below = below.or(col(HASH).leq(hashes.get((int) n - 1)));
      }
      keep = keep.or(col(STRATUM).equalTo(e.getKey()).and(below));
    }
    Dataset<Row> sample = hashed.filter(keep).drop(STRATUM, HASH);
    return new Result(sample, sizes, take);
  }
}

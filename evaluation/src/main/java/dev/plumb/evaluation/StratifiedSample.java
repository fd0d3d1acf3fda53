package dev.plumb.evaluation;

import static org.apache.spark.sql.functions.col;
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
import org.apache.spark.storage.StorageLevel;

/**
 * A deterministic stratified sample: every row gets a seeded 64-bit hash of its key; within each
 * stratum (label, optionally also a slice column) the {@code k} rows with the smallest hashes are
 * kept, {@code k = round(fraction * stratum size)}. The same rows come back on every run, whatever
 * the partitioning. Exact without a sort, in two passes over the data on native types (no string
 * casts): see {@link #draw}.
 */
public final class StratifiedSample {

  private static final String HASH = "_plumb_hash";
  private static final String BUCKET = "_plumb_bucket";

  private StratifiedSample() {}

  /**
   * The sample, and the stratum sizes it was drawn from. {@link #close()} releases the cached
   * candidate rows the sample is filtered from.
   */
  public record Result(
      Dataset<Row> rows,
      Map<String, Long> strataSizes,
      Map<String, Long> sampleSizes,
      Dataset<Row> candidates)
      implements AutoCloseable {

    /** Rows in the sample. */
    public long size() {
      return sampleSizes.values().stream().mapToLong(Long::longValue).sum();
    }

    @Override
    public void close() {
      candidates.unpersist();
    }
  }

  /** A stratum: the label value and, when stratified by a column too, its value. */
  private record Stratum(Object label, Object group, boolean grouped) {

    String name() {
      String l = String.valueOf(label);
      return grouped ? l + "|" + group : l;
    }

    Column matches(String labelColumn, String groupColumn) {
      Column m = col(labelColumn).eqNullSafe(lit(label));
      return grouped ? m.and(col(groupColumn).eqNullSafe(lit(group))) : m;
    }
  }

  /**
   * Draws the sample in two passes over {@code data}, both on native types: a count per (stratum,
   * top 12 hash bits) locates each stratum's cut bucket; a filter keeps every row up to and
   * including it (about 1/4096 of a stratum more than the sample) and caches them; the exact cut is
   * then read from that small cached set.
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
    String group = spec.stratifyBy();
    boolean grouped = !group.isEmpty();
    if (grouped && !List.of(data.columns()).contains(group)) {
      throw EvalErrors.missingColumn("the stratify_by", group, data.schema());
    }
    Column bucket = shiftright(col(HASH), 52);
    Dataset<Row> hashed = data.withColumn(HASH, xxhash64(lit(spec.seed()), col(key)));
    Column[] by =
        grouped
            ? new Column[] {col(label), col(group), bucket.as(BUCKET)}
            : new Column[] {col(label), bucket.as(BUCKET)};
    Map<String, Stratum> strata = new TreeMap<>();
    Map<String, TreeMap<Long, Long>> perStratum = new TreeMap<>();
    Map<String, Long> sizes = new TreeMap<>();
    for (Row r : hashed.groupBy(by).agg(count(lit(1))).collectAsList()) {
      Stratum st = new Stratum(r.get(0), grouped ? r.get(1) : null, grouped);
      int b = grouped ? 2 : 1;
      strata.putIfAbsent(st.name(), st);
      perStratum
          .computeIfAbsent(st.name(), x -> new TreeMap<>())
          .put(r.getLong(b), r.getLong(b + 1));
      sizes.merge(st.name(), r.getLong(b + 1), Long::sum);
    }
    long total = sizes.values().stream().mapToLong(Long::longValue).sum();
    double fraction =
        spec.rows() > 0
            ? Math.min(1.0, (double) spec.rows() / Math.max(total, 1))
            : spec.fraction();
    // Per stratum: buckets below the cut bucket are kept whole; in the cut bucket, the `need`
    // smallest hashes.
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
    Column candidate = lit(false);
    for (Map.Entry<String, Long> e : cutBucket.entrySet()) {
      candidate =
          candidate.or(strata.get(e.getKey()).matches(label, group).and(bucket.leq(e.getValue())));
    }
    Dataset<Row> candidates = hashed.filter(candidate).persist(StorageLevel.MEMORY_AND_DISK());
    Map<String, List<Long>> cutHashes = new HashMap<>();
    Column inCut = lit(false);
    for (Map.Entry<String, Long> e : cutBucket.entrySet()) {
      inCut =
          inCut.or(strata.get(e.getKey()).matches(label, group).and(bucket.equalTo(e.getValue())));
    }
    for (Row r :
        candidates
            .filter(inCut)
            .select(by[0], grouped ? by[1] : lit(null), col(HASH))
            .collectAsList()) {
      String name = new Stratum(r.get(0), r.get(1), grouped).name();
      cutHashes.computeIfAbsent(name, x -> new ArrayList<>()).add(r.getLong(2));
    }
    Column keep = lit(false);
    for (Map.Entry<String, Long> e : cutBucket.entrySet()) {
      long n = need.get(e.getKey());
      Column below = bucket.lt(e.getValue());
      if (n > 0) {
        List<Long> hashes = cutHashes.get(e.getKey());
        hashes.sort(Long::compare);
        below = below.or(bucket.equalTo(e.getValue()).and(col(HASH).leq(hashes.get((int) n - 1))));
      }
      keep = keep.or(strata.get(e.getKey()).matches(label, group).and(below));
    }
    return new Result(candidates.filter(keep).drop(HASH), sizes, take, candidates);
  }
}

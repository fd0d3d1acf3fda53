package dev.plumb.evaluation;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.shiftright;
import static org.apache.spark.sql.functions.xxhash64;

import dev.plumb.features.io.Log;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.CatalystTypeConverters;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.XxHash64Function$;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.catalyst.util.MapData;
import org.apache.spark.sql.types.BooleanType;
import org.apache.spark.sql.types.ByteType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.DoubleType;
import org.apache.spark.sql.types.FloatType;
import org.apache.spark.sql.types.IntegerType;
import org.apache.spark.sql.types.LongType;
import org.apache.spark.sql.types.ShortType;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.apache.spark.unsafe.types.UTF8String;
import scala.Function1;

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

  /**
   * The one-scan bound keeps at least this share more rows than the sample needs, and at least 5
   * standard deviations more in a stratum of {@link #SMALL_STRATUM} of the rows: a stratum that
   * large or larger finds its sample below the bound but for a 5-sigma draw; smaller ones, when
   * unlucky, take the two-pass draw.
   */
  static final double MARGIN = 0.1;

  /** The smallest stratum (share of the rows) the one-scan bound is sized for. */
  static final double SMALL_STRATUM = 0.02;

  /** The most candidate rows the one-scan draw hands to the driver. */
  static final long MAX_CANDIDATES = 2_000_000L;

  private StratifiedSample() {}

  /**
   * The sample, the stratum sizes it was drawn from and how many scans of the data it took (1, 2,
   * or 3 where a one-scan draw fell back to two passes; a count of the rows not included). {@link
   * #close()} releases the cached candidate rows the sample is read from: the one-scan draw's
   * candidates where the scan read them, or the two-pass draw's cached rows up to each cut bucket.
   * Use {@link #rows()} before closing it.
   */
  public record Result(
      Dataset<Row> rows,
      Map<String, Long> strataSizes,
      Map<String, Long> sampleSizes,
      Runnable release,
      int scans)
      implements AutoCloseable {

    /** Rows in the sample. */
    public long size() {
      return sampleSizes.values().stream().mapToLong(Long::longValue).sum();
    }

    @Override
    public void close() {
      if (release != null) {
        release.run();
      }
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

  /** Draws the sample, counting the rows first when a size is asked for: see the next method. */
  public static Result draw(Dataset<Row> data, String label, String key, EvalSpec.Sample spec) {
    return draw(data, label, key, spec, -1);
  }

  /**
   * Draws the sample, in one scan of {@code data} when the candidates it keeps fit the driver:
   * every partition counts its rows per stratum and keeps (cached where it runs) the rows whose
   * hash is below a bound set a margin above the sample's fraction of {@code expectedRows}; the
   * driver, given the counts and the candidates' hashes only, sets each stratum's cut at its {@code
   * k}-th smallest hash, and the sample is the cached candidates up to their stratum's cut. A
   * stratum with fewer than {@code k} rows below the bound (a small stratum unlucky with its
   * hashes) falls back to {@link #drawInTwoPasses}, which returns the same rows.
   *
   * @param data the rows to sample
   * @param label the label column (always a stratum dimension)
   * @param key the key column whose hash orders rows
   * @param spec fraction or size, extra stratum column and seed
   * @param expectedRows the number of rows in {@code data} if known (a feature-set manifest's split
   *     size), -1 to count them first; it sets only how many candidates the scan keeps, never which
   *     rows are sampled
   */
  public static Result draw(
      Dataset<Row> data, String label, String key, EvalSpec.Sample spec, long expectedRows) {
    String group = checkColumns(data, label, key, spec);
    long t0 = System.nanoTime();
    long n = expectedRows >= 0 ? expectedRows : data.count();
    long t1 = System.nanoTime();
    double guess = fraction(spec, n);
    double bound =
        Math.min(
            1.0,
            guess
                + Math.max(
                    MARGIN * guess, 5 * Math.sqrt(guess / Math.max(SMALL_STRATUM * n, 1.0))));
    if (bound * n > MAX_CANDIDATES) {
      return drawInTwoPasses(data, label, key, spec);
    }
    // The rows as the plan gives them, no projection: each one's hash is computed here, the value
    // Spark's xxhash64(lit(seed), key) gives (the two-pass draw's column), so both draw the same
    // rows.
    StructType schema = data.schema();
    int li = schema.fieldIndex(label);
    int gi = group.isEmpty() ? -1 : schema.fieldIndex(group);
    int ki = schema.fieldIndex(key);
    DataType lt = schema.fields()[li].dataType();
    DataType gt = gi < 0 ? null : schema.fields()[gi].dataType();
    DataType kt = schema.fields()[ki].dataType();
    long keySeed = seededHashSeed(spec.seed());
    long cap = bound >= 1.0 ? Long.MAX_VALUE : (long) (Long.MIN_VALUE + bound * 0x1p64);
    JavaRDD<InternalRow> rows = data.queryExecution().toRdd().toJavaRDD();
    JavaRDD<Scanned> scanned =
        rows.mapPartitions(
                (Iterator<InternalRow> it) -> {
                  // The stratum of each row is looked up through one reused probe (primitive
                  // values unboxed); a new stratum's key is copied out of the row buffer.
                  HashMap<Probe, Tally> byProbe = new HashMap<>();
                  Probe probe = new Probe(lt, gt);
                  while (it.hasNext()) {
                    InternalRow r = it.next();
                    probe.read(r, li, gi);
                    Tally t = byProbe.get(probe);
                    if (t == null) {
                      t = new Tally();
                      byProbe.put(probe.copy(), t);
                    }
                    t.rows++;
                    long h =
                        XxHash64Function$.MODULE$.hash(
                            r.isNullAt(ki) ? null : r.get(ki, kt), kt, keySeed);
                    if (h <= cap) {
                      t.add(r.copy(), h);
                    }
                  }
                  Scanned s = new Scanned();
                  byProbe.forEach((k, t) -> s.strata.put(k.values(), t));
                  return List.of(s).iterator();
                })
            .persist(StorageLevel.MEMORY_ONLY());
    List<HashMap<List<Object>, long[]>> parts = scanned.map(Scanned::summary).collect();
    long t2 = System.nanoTime();
    Map<List<Object>, Long> counts = new HashMap<>();
    Map<List<Object>, List<long[]>> hashes = new HashMap<>();
    for (HashMap<List<Object>, long[]> part : parts) {
      part.forEach(
          (k, h) -> {
            counts.merge(k, h[0], Long::sum);
            hashes.computeIfAbsent(k, x -> new ArrayList<>()).add(h);
          });
    }
    long total = counts.values().stream().mapToLong(Long::longValue).sum();
    double fraction = fraction(spec, total);
    Function1<Object, Object> labelValue = CatalystTypeConverters.createToScalaConverter(lt);
    Function1<Object, Object> groupValue =
        gt == null ? null : CatalystTypeConverters.createToScalaConverter(gt);
    Map<String, Long> sizes = new TreeMap<>();
    Map<String, Long> take = new TreeMap<>();
    HashMap<List<Object>, Long> cuts = new HashMap<>();
    long candidates = 0;
    long kept = 0;
    for (Map.Entry<List<Object>, Long> e : counts.entrySet()) {
      List<Object> st = e.getKey();
      String name =
          new Stratum(
                  labelValue.apply(st.get(0)),
                  groupValue == null ? null : groupValue.apply(st.get(1)),
                  groupValue != null)
              .name();
      long k = Math.round(fraction * e.getValue());
      sizes.put(name, e.getValue());
      take.put(name, k);
      long[] c =
          hashes.get(st).stream().flatMapToLong(h -> Arrays.stream(h, 1, h.length)).toArray();
      candidates += c.length;
      if (c.length < k) {
        Log.info(
            String.format(
                "sample: stratum %s has %,d rows below the one-scan bound, fewer than its %,d;"
                    + " drawing in two passes",
                name, c.length, k));
        scanned.unpersist(false);
        Result two = drawInTwoPasses(data, label, key, spec);
        return new Result(two.rows(), two.strataSizes(), two.sampleSizes(), two.release(), 3);
      }
      if (k == 0) {
        continue;
      }
      Arrays.sort(c);
      // Every row whose hash is at most the k-th smallest, as the two-pass draw keeps.
      long cut = c[(int) k - 1];
      cuts.put(st, cut);
      for (long h : c) {
        if (h > cut) {
          break;
        }
        kept++;
      }
    }
    // The kept rows go to the sample as the internal rows the scan copied: no conversion to and
    // from external rows.
    JavaRDD<InternalRow> sampled =
        scanned.mapPartitions(
            (Iterator<Scanned> it) -> {
              List<InternalRow> out = new ArrayList<>();
              while (it.hasNext()) {
                it.next()
                    .strata
                    .forEach(
                        (st, t) -> {
                          Long cut = cuts.get(st);
                          if (cut != null) {
                            for (int i = 0; i < t.size; i++) {
                              if (t.hashes[i] <= cut) {
                                out.add(t.candidates.get(i));
                              }
                            }
                          }
                        });
              }
              return out.iterator();
            });
    Dataset<Row> sample = data.sparkSession().internalCreateDataFrame(sampled.rdd(), schema, false);
    Log.info(
        String.format(
            "sample: %,d of %,d rows in one scan; count %s, scan %.2f s (%,d candidates),"
                + " cut on the driver %.2f s",
            kept,
            total,
            expectedRows >= 0 ? "not needed" : String.format("%.2f s", (t1 - t0) / 1e9),
            (t2 - t1) / 1e9,
            candidates,
            (System.nanoTime() - t2) / 1e9));
    return new Result(sample, sizes, take, () -> scanned.unpersist(false), 1);
  }

  /** The share of each stratum sampled from {@code rows} rows: the spec's size, or its fraction. */
  private static double fraction(EvalSpec.Sample spec, long rows) {
    return spec.rows() > 0
        ? Math.min(1.0, (double) spec.rows() / Math.max(rows, 1))
        : spec.fraction();
  }

  /** Per partition of the one-scan draw: each stratum's rows and candidates. */
  private static final class Scanned implements Serializable {
    private static final long serialVersionUID = 1L;
    final HashMap<List<Object>, Tally> strata = new HashMap<>();

    /** Per stratum: its row count, then its candidates' hashes. */
    HashMap<List<Object>, long[]> summary() {
      HashMap<List<Object>, long[]> m = new HashMap<>();
      strata.forEach(
          (k, t) -> {
            long[] h = new long[t.size + 1];
            h[0] = t.rows;
            System.arraycopy(t.hashes, 0, h, 1, t.size);
            m.put(k, h);
          });
      return m;
    }
  }

  /**
   * A stratum key as the scan reads it: per part (label, group), a primitive column's bits, or any
   * other type's catalyst value; {@link #values()} gives the key as the catalyst values {@code
   * InternalRow.get} returns. Two probes are equal when those values are ({@code Double.equals}
   * semantics for floating point: NaN equals NaN, -0.0 does not equal 0.0).
   */
  private static final class Probe implements Serializable {
    private static final long serialVersionUID = 1L;
    private final DataType labelType;
    private final DataType groupType;
    private final Part label = new Part();
    private final Part group = new Part();
    private int hash;

    Probe(DataType labelType, DataType groupType) {
      this.labelType = labelType;
      this.groupType = groupType;
    }

    void read(InternalRow r, int li, int gi) {
      label.read(r, li, labelType);
      group.read(r, gi, groupType);
      hash = 31 * label.hash() + group.hash();
    }

    Probe copy() {
      Probe p = new Probe(labelType, groupType);
      p.label.set(label);
      p.group.set(group);
      p.hash = hash;
      return p;
    }

    List<Object> values() {
      return Arrays.asList(label.value(labelType), group.value(groupType));
    }

    @Override
    public int hashCode() {
      return hash;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Probe p && label.same(p.label) && group.same(p.group);
    }
  }

  /** One part of a {@link Probe}: null, a primitive's bits, or another type's value. */
  private static final class Part implements Serializable {
    private static final long serialVersionUID = 1L;
    boolean isNull;
    long bits;
    Object other;

    void read(InternalRow r, int i, DataType t) {
      isNull = i < 0 || r.isNullAt(i);
      other = null;
      bits = 0;
      if (isNull) {
        return;
      }
      if (t instanceof DoubleType) {
        bits = Double.doubleToLongBits(r.getDouble(i));
      } else if (t instanceof FloatType) {
        bits = Float.floatToIntBits(r.getFloat(i));
      } else if (t instanceof LongType) {
        bits = r.getLong(i);
      } else if (t instanceof IntegerType) {
        bits = r.getInt(i);
      } else if (t instanceof ShortType) {
        bits = r.getShort(i);
      } else if (t instanceof ByteType) {
        bits = r.getByte(i);
      } else if (t instanceof BooleanType) {
        bits = r.getBoolean(i) ? 1 : 0;
      } else {
        other = r.get(i, t);
      }
    }

    void set(Part p) {
      isNull = p.isNull;
      bits = p.bits;
      // A value read in place points into the reused row buffer: the kept key owns a copy.
      other = owned(p.other);
    }

    int hash() {
      return isNull ? 0 : other != null ? other.hashCode() : Long.hashCode(bits);
    }

    boolean same(Part p) {
      return isNull == p.isNull && bits == p.bits && java.util.Objects.equals(other, p.other);
    }

    Object value(DataType t) {
      if (isNull) {
        return null;
      }
      if (other != null) {
        return other;
      }
      if (t instanceof DoubleType) {
        return Double.longBitsToDouble(bits);
      } else if (t instanceof FloatType) {
        return Float.intBitsToFloat((int) bits);
      } else if (t instanceof LongType) {
        return bits;
      } else if (t instanceof IntegerType) {
        return (int) bits;
      } else if (t instanceof ShortType) {
        return (short) bits;
      } else if (t instanceof ByteType) {
        return (byte) bits;
      } else {
        return bits == 1;
      }
    }
  }

  /** One stratum in one partition: its rows, and those below the bound with their hashes. */
  private static final class Tally implements Serializable {
    private static final long serialVersionUID = 1L;
    long rows;
    final ArrayList<InternalRow> candidates = new ArrayList<>();
    long[] hashes = new long[16];
    int size;

    void add(InternalRow row, long hash) {
      if (size == hashes.length) {
        hashes = Arrays.copyOf(hashes, size * 2);
      }
      candidates.add(row);
      hashes[size++] = hash;
    }
  }

  /**
   * The seed that {@code xxhash64(lit(seed), key)} hashes the key with: Spark's xxhash64 starts at
   * 42 and folds each argument in turn, the literal seed (a long) first.
   */
  static long seededHashSeed(long seed) {
    return XxHash64Function$.MODULE$.hash(seed, DataTypes.LongType, 42L);
  }

  /** A value read from an internal row, copied out of the row's buffer where it points into it. */
  private static Object owned(Object v) {
    if (v instanceof UTF8String u) {
      return u.clone();
    }
    if (v instanceof InternalRow r) {
      return r.copy();
    }
    if (v instanceof ArrayData a) {
      return a.copy();
    }
    if (v instanceof MapData m) {
      return m.copy();
    }
    return v;
  }

  private static String checkColumns(
      Dataset<Row> data, String label, String key, EvalSpec.Sample spec) {
    for (String c : List.of(label, key)) {
      if (!List.of(data.columns()).contains(c)) {
        throw EvalErrors.missingColumn("the sample's", c, data.schema());
      }
    }
    String group = spec.stratifyBy();
    if (!group.isEmpty() && !List.of(data.columns()).contains(group)) {
      throw EvalErrors.missingColumn("the stratify_by", group, data.schema());
    }
    return group;
  }

  /**
   * Draws the sample in two passes over {@code data}, both on native types: a count per (stratum,
   * top 12 hash bits) locates each stratum's cut bucket; a filter keeps every row up to and
   * including it (about 1/4096 of a stratum more than the sample) and caches them; the exact cut is
   * then read from that small cached set. Used when the one-scan candidates would not fit the
   * driver or miss a stratum's sample.
   */
  static Result drawInTwoPasses(Dataset<Row> data, String label, String key, EvalSpec.Sample spec) {
    String group = checkColumns(data, label, key, spec);
    boolean grouped = !group.isEmpty();
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
    double fraction = fraction(spec, total);
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
    return new Result(
        candidates.filter(keep).drop(HASH), sizes, take, () -> candidates.unpersist(), 2);
  }
}

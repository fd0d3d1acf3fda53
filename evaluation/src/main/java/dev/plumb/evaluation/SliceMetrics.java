package dev.plumb.evaluation;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
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
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.types.BooleanType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.unsafe.types.UTF8String;

/**
 * Metrics per value of each slice column, gathered in the shared score pass ({@link ScorePass}):
 * per (column, value) exact counts, confusion and log loss, and positives, negatives and the lowest
 * and highest score per score bin of width 1/{@value #BINS}. A slice's ROC-AUC must be within
 * {@link ExactAreas#TOLERANCE} of the exact value, as the headline areas are ({@link #settle}):
 *
 * <ol>
 *   <li>from its 1e-3 bins when {@link Curves#binned} bounds the error by the tolerance (always so
 *       when each bin holding both classes holds one distinct score: few, repeated scores);
 *   <li>else, for the largest such slices (at least {@value #MIN_REFINED_ROWS} rows, at most
 *       {@value #MAX_REFINED}), from a second pass without a shuffle over {@value #REFINED_BINS}
 *       bins per slice of about equal rows each (edges on the 1e-5 grid), when those bound it;
 *   <li>else exactly, from counts per distinct score ({@link ExactAreas}), in one job with any
 *       headline areas that need it.
 * </ol>
 */
final class SliceMetrics {

  static final int BINS = 1_000;

  /** Bins per slice in the second pass. */
  static final int REFINED_BINS = 10_000;

  /**
   * The most slices the second pass refines: each adds 4 x {@value #REFINED_BINS} numbers to the
   * state of each partition that holds its rows.
   */
  static final int MAX_REFINED = 32;

  /** Smaller slices go straight to the exact computation, which is cheap for them. */
  static final long MIN_REFINED_ROWS = 5_000;

  private SliceMetrics() {}

  /** One slice. */
  record Slice(
      String column,
      String value,
      long count,
      long positives,
      Confusion confusion,
      double logLoss,
      double rocAuc) {

    String name() {
      return column + "=" + value;
    }

    Map<String, Double> asMap() {
      Map<String, Double> m = new LinkedHashMap<>();
      m.put("count", (double) count);
      m.put("positives", (double) positives);
      m.put("roc_auc", rocAuc);
      m.put("log_loss", logLoss);
      m.putAll(confusion.asMap());
      return m;
    }
  }

  /**
   * The slices with their values named: {@code names} maps a column's value as the rows hold it
   * (e.g. a category index, "1") to what a reader knows it by (the raw category, "DE"); values
   * without a name keep theirs.
   */
  static List<Slice> named(List<Slice> slices, Map<String, Map<String, String>> names) {
    if (names.isEmpty()) {
      return slices;
    }
    List<Slice> out = new ArrayList<>(slices.size());
    for (Slice s : slices) {
      String v = names.getOrDefault(s.column(), Map.of()).getOrDefault(s.value(), s.value());
      out.add(
          new Slice(
              s.column(), v, s.count(), s.positives(), s.confusion(), s.logLoss(), s.rocAuc()));
    }
    return out;
  }

  /** Formats a slice value: integral doubles (category indexes) without ".0". */
  static String value(Object v) {
    if (v == null) {
      return "null";
    }
    String s = String.valueOf(v);
    return s.endsWith(".0") ? s.substring(0, s.length() - 2) : s;
  }

  /** The {@link ExactAreas} group of value {@code value} (as the pass saw it) of column c. */
  static String groupKey(int c, String value) {
    return c + ":" + value;
  }

  /** The {@link ExactAreas} group of each row for slice column {@code column}, at index c. */
  static Column groupColumn(int c, String column) {
    return concat(lit(c + ":"), coalesce(col(column).cast("string"), lit("null")));
  }

  private static Curves.Binned binned(ScorePass.SliceTotals t) {
    return Curves.binned(Curves.toDouble(t.pos), Curves.toDouble(t.neg), t.lo, t.hi);
  }

  /**
   * Slices whose 1e-3 bins could not bound their ROC-AUC, after the second pass.
   *
   * @param rocAuc the ROC-AUC of the slices (by {@link #groupKey(int, String)}) that the second
   *     pass settled within the tolerance
   * @param exact the groups left to compute exactly, in key order
   * @param fromBins how many slices their 1e-3 bins settled
   */
  record Settled(Map<String, Double> rocAuc, List<String> exact, int fromBins) {}

  /** One unsettled slice: column index, value as the pass saw it, and its totals. */
  private record Open(int column, String value, ScorePass.SliceTotals totals) {
    String key() {
      return groupKey(column, value);
    }
  }

  /**
   * Settles every slice's ROC-AUC within {@link ExactAreas#TOLERANCE} short of the exact
   * computation: from the pass's bins, else from a second pass over {@code rows} for the largest
   * slices; names the rest for {@link ExactAreas}.
   */
  static Settled settle(
      Dataset<Row> rows, String label, String score, List<String> columns, ScorePass pass) {
    List<Open> open = new ArrayList<>();
    int fromBins = 0;
    for (int c = 0; c < columns.size() && c < pass.slices.size(); c++) {
      for (Map.Entry<UTF8String, ScorePass.SliceTotals> e : pass.slices.get(c).entrySet()) {
        if (binned(e.getValue()).rocAucErrorBound() > ExactAreas.TOLERANCE) {
          open.add(new Open(c, e.getKey().toString(), e.getValue()));
        } else {
          fromBins++;
        }
      }
    }
    open.sort(Comparator.comparingLong((Open o) -> -o.totals().n).thenComparing(Open::key));
    List<Open> refine =
        open.stream().filter(o -> o.totals().n >= MIN_REFINED_ROWS).limit(MAX_REFINED).toList();
    Map<String, Double> rocAuc = new LinkedHashMap<>();
    if (!refine.isEmpty()) {
      Map<String, Refined> refined = refinePass(rows, label, score, columns, pass, refine);
      for (Open o : refine) {
        Refined r = refined.get(o.key());
        if (r == null
            || Arrays.stream(r.pos).sum() != o.totals().positives
            || Arrays.stream(r.neg).sum() != o.totals().n - o.totals().positives) {
          // The second pass matched other rows than the first (a value whose string form and
          // typed form disagree, such as -0.0): leave the slice to the exact computation.
          continue;
        }
        Curves.Binned b = Curves.binned(Curves.toDouble(r.pos), Curves.toDouble(r.neg), r.lo, r.hi);
        if (b.rocAucErrorBound() <= ExactAreas.TOLERANCE) {
          rocAuc.put(o.key(), b.rocAuc());
        }
      }
    }
    List<String> exact =
        open.stream().map(Open::key).filter(k -> !rocAuc.containsKey(k)).sorted().toList();
    return new Settled(rocAuc, exact, fromBins);
  }

  /** One slice's positives, negatives, lowest and highest score per bin of the second pass. */
  static final class Refined implements Serializable {
    private static final long serialVersionUID = 1L;
    final int[] starts;
    final long[] pos;
    final long[] neg;
    final double[] lo;
    final double[] hi;

    Refined(int[] starts) {
      this.starts = starts;
      pos = new long[starts.length];
      neg = new long[starts.length];
      lo = ScorePass.emptyLows(starts.length);
      hi = ScorePass.emptyHighs(starts.length);
    }

    void add(int fine, double y, double p) {
      int found = Arrays.binarySearch(starts, fine);
      int b = found >= 0 ? found : -found - 2;
      if (y == 1.0) {
        pos[b]++;
      } else {
        neg[b]++;
      }
      lo[b] = Math.min(lo[b], p);
      hi[b] = Math.max(hi[b], p);
    }

    Refined merge(Refined o) {
      for (int b = 0; b < pos.length; b++) {
        pos[b] += o.pos[b];
        neg[b] += o.neg[b];
        lo[b] = Math.min(lo[b], o.lo[b]);
        hi[b] = Math.max(hi[b], o.hi[b]);
      }
      return this;
    }
  }

  /**
   * The first 1e-5 bin of each of up to {@code bins} bins holding about equal shares of a slice's
   * rows. The slice's rows are known per 1e-3 bin; within one, they are taken to spread over its
   * 1e-5 bins as all rows do. An estimate only: the bins' counts are then measured, not assumed.
   */
  static int[] equalRowBins(ScorePass.SliceTotals slice, ScorePass pass, int bins) {
    int perCoarse = ScorePass.FINE_BINS / BINS;
    double share = (double) slice.n / bins;
    List<Integer> starts = new ArrayList<>();
    starts.add(0);
    double seen = 0;
    for (int b = 0; b < BINS; b++) {
      double rows = slice.pos[b] + slice.neg[b];
      double all = 0;
      for (int f = b * perCoarse; f < (b + 1) * perCoarse; f++) {
        all += pass.finePos[f] + pass.fineNeg[f];
      }
      for (int f = b * perCoarse; f < (b + 1) * perCoarse; f++) {
        if (seen >= share * starts.size() && f > starts.get(starts.size() - 1)) {
          starts.add(f);
        }
        seen += all == 0 ? rows / perCoarse : rows * (pass.finePos[f] + pass.fineNeg[f]) / all;
      }
    }
    return starts.stream().mapToInt(Integer::intValue).toArray();
  }

  /**
   * The second pass over the slices in {@code refine}: one tree aggregation, no shuffle, no row to
   * the driver.
   */
  private static Map<String, Refined> refinePass(
      Dataset<Row> rows,
      String label,
      String score,
      List<String> columns,
      ScorePass pass,
      List<Open> refine) {
    Map<Integer, List<Open>> byColumn = new TreeMap<>();
    for (Open o : refine) {
      byColumn.computeIfAbsent(o.column(), c -> new ArrayList<>()).add(o);
    }
    List<Column> select = new ArrayList<>();
    select.add(col(label).cast("double"));
    select.add(col(score).cast("double"));
    List<int[][]> starts = new ArrayList<>();
    List<List<String>> keys = new ArrayList<>();
    for (Map.Entry<Integer, List<Open>> e : byColumn.entrySet()) {
      List<Open> slices = e.getValue();
      select.add(slot(rows, columns.get(e.getKey()), slices));
      starts.add(
          slices.stream()
              .map(o -> equalRowBins(o.totals(), pass, REFINED_BINS))
              .toArray(int[][]::new));
      keys.add(slices.stream().map(Open::key).toList());
    }
    JavaRDD<InternalRow> internal =
        rows.select(select.toArray(new Column[0])).queryExecution().toRdd().toJavaRDD();
    if (internal.getNumPartitions() == 0) {
      return Map.of();
    }
    return internal
        .mapPartitions(
            (Iterator<InternalRow> it) -> {
              Refined[][] refined = new Refined[starts.size()][];
              for (int k = 0; k < refined.length; k++) {
                refined[k] = new Refined[starts.get(k).length];
              }
              while (it.hasNext()) {
                InternalRow r = it.next();
                double y = r.getDouble(0);
                double p = r.getDouble(1);
                int fine = ScorePass.bin(p, ScorePass.FINE_BINS);
                for (int k = 0; k < refined.length; k++) {
                  int slot = r.getInt(2 + k);
                  if (slot < 0) {
                    continue;
                  }
                  Refined t = refined[k][slot];
                  if (t == null) {
                    // Only the slices this partition holds travel.
                    t = new Refined(starts.get(k)[slot]);
                    refined[k][slot] = t;
                  }
                  t.add(fine, y, p);
                }
              }
              HashMap<String, Refined> out = new HashMap<>();
              for (int k = 0; k < refined.length; k++) {
                for (int slot = 0; slot < refined[k].length; slot++) {
                  if (refined[k][slot] != null) {
                    out.put(keys.get(k).get(slot), refined[k][slot]);
                  }
                }
              }
              return List.of(out).iterator();
            })
        .treeReduce(
            (a, b) -> {
              b.forEach((k, t) -> a.merge(k, t, Refined::merge));
              return a;
            },
            2);
  }

  /**
   * Each row's index among {@code slices} (values of {@code column}), -1 for other values. Numbers,
   * strings and booleans are compared in the column's own type, which spares casting every row to a
   * string as the score pass does; {@link #settle} checks the counts against the pass's.
   */
  private static Column slot(Dataset<Row> rows, String column, List<Open> slices) {
    DataType type = rows.schema().apply(column).dataType();
    boolean typed =
        type instanceof NumericType || type instanceof StringType || type instanceof BooleanType;
    Column key = coalesce(col(column).cast("string"), lit("null"));
    Column slot = null;
    for (int i = 0; i < slices.size(); i++) {
      String v = slices.get(i).value();
      Column match =
          !typed
              ? key.equalTo(v)
              : v.equals("null") ? col(column).isNull() : col(column).equalTo(lit(v).cast(type));
      slot = slot == null ? when(match, i) : slot.when(match, i);
    }
    return slot.otherwise(-1);
  }

  /**
   * The slices of {@code columns} from the totals the shared score pass gathered (the pass was run
   * with the same columns, in this order); values in string order within a column. ROC-AUC is taken
   * from {@code exact} or {@code settled} ({@link #settle}) where they hold the slice's group, from
   * the slice's 1e-3 bins otherwise.
   */
  static List<Slice> fromPass(
      List<String> columns,
      ScorePass pass,
      Map<String, Double> settled,
      Map<String, ExactAreas.Areas> exact) {
    List<Slice> out = new ArrayList<>();
    for (int c = 0; c < columns.size() && c < pass.slices.size(); c++) {
      TreeMap<String, ScorePass.SliceTotals> byValue = new TreeMap<>();
      pass.slices.get(c).forEach((v, t) -> byValue.put(v.toString(), t));
      for (Map.Entry<String, ScorePass.SliceTotals> e : byValue.entrySet()) {
        ScorePass.SliceTotals t = e.getValue();
        String key = groupKey(c, e.getKey());
        ExactAreas.Areas a = exact.get(key);
        double fn = t.positives - t.tp;
        double tn = t.n - t.positives - t.fp;
        out.add(
            new Slice(
                columns.get(c),
                value(e.getKey()),
                t.n,
                t.positives,
                new Confusion(t.tp, t.fp, tn, fn),
                t.loss / t.n,
                a != null ? a.rocAuc() : settled.getOrDefault(key, binned(t).rocAuc())));
      }
    }
    return out;
  }

  /** The k slices with the lowest ROC-AUC among those with enough rows and both classes. */
  static List<Slice> weakest(List<Slice> slices, long minSupport, int k) {
    return slices.stream()
        .filter(s -> s.count() >= minSupport && !Double.isNaN(s.rocAuc()))
        .sorted(Comparator.comparingDouble(Slice::rocAuc).thenComparing(Slice::name))
        .limit(k)
        .toList();
  }
}

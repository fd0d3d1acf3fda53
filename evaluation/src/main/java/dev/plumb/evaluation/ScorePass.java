package dev.plumb.evaluation;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.xxhash64;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.unsafe.types.UTF8String;

/**
 * One pass over the predictions that gathers everything the threshold, curve, calibration and
 * bootstrap metrics need (Deequ-style scan sharing): exact counts and sums; positives and negatives
 * per fine score bin (width 1e-5) with the lowest and highest score in each, so that {@link
 * Curves#binned} knows which bins hold ties only; count, mean score and positives per calibration
 * bin; and, per Poisson-bootstrap replicate, weighted counts per (coarse score bin, label,
 * predicted class) plus weighted loss sums. Partial states merge, so the pass is a tree
 * aggregation: no row reaches the driver.
 */
final class ScorePass implements Serializable {

  private static final long serialVersionUID = 1L;

  /** Fine score bins: the sweep, ROC and PR curves and the best thresholds use them. */
  static final int FINE_BINS = 100_000;

  /** Coarse score bins of the bootstrap replicates. */
  static final int COARSE_BINS = 1_000;

  private static final double EPS = 1e-15;

  /**
   * Poisson(1) weights by inverse CDF of a 16-bit uniform: {@code POISSON[u]} is the smallest k
   * with {@code (u + 0.5) / 65536 < P(W <= k)}. One 64-bit random number gives four replicates'
   * weights; 16 bits resolve the weights up to 8 (the tail beyond, P = 1e-6, is folded into 8).
   */
  static final byte[] POISSON = new byte[1 << 16];

  static {
    double[] cdf = new double[20];
    double p = Math.exp(-1);
    double c = 0;
    for (int k = 0; k < cdf.length; k++) {
      c += p;
      cdf[k] = c;
      p /= (k + 1);
    }
    for (int u = 0; u < POISSON.length; u++) {
      double x = (u + 0.5) / POISSON.length;
      int k = 0;
      while (k < cdf.length - 1 && x >= cdf[k]) {
        k++;
      }
      POISSON[u] = (byte) k;
    }
  }

  final double threshold;
  final int calibrationBins;
  final int replicates;
  final long seed;

  long n;
  long skipped;
  long positives;
  long tp;
  long fp;
  long tn;
  long fn;
  double sumLogLoss;
  double sumBrier;
  long[] finePos;
  long[] fineNeg;

  /** The lowest and highest score in each fine bin (+inf and -inf while empty). */
  double[] fineLo;

  double[] fineHi;

  long[] calCount;
  long[] calPos;
  double[] calScore;

  /**
   * Per coarse bin b, label y, predicted class c and replicate r: index ((b*2+y)*2+c)*R+r, so one
   * row's updates for all replicates are contiguous (read it through {@link #repCell}).
   */
  int[] repCells;

  double[] repLogLoss;
  double[] repBrier;

  /** Per calibration bin and replicate: the weighted sum of scores ({@link #repCalScore}). */
  double[] repCalScore;

  /** Per slice column (in the order given to {@link #run}): its values' running totals. */
  ArrayList<HashMap<UTF8String, SliceTotals>> slices = new ArrayList<>();

  /**
   * One slice value's exact counts and log loss, and its positives, negatives and lowest and
   * highest score per score bin.
   */
  static final class SliceTotals implements Serializable {
    private static final long serialVersionUID = 1L;
    long n;
    long positives;
    long tp;
    long fp;
    double loss;
    final long[] pos = new long[SliceMetrics.BINS];
    final long[] neg = new long[SliceMetrics.BINS];
    final double[] lo = emptyLows(SliceMetrics.BINS);
    final double[] hi = emptyHighs(SliceMetrics.BINS);

    void merge(SliceTotals o) {
      n += o.n;
      positives += o.positives;
      tp += o.tp;
      fp += o.fp;
      loss += o.loss;
      for (int b = 0; b < pos.length; b++) {
        pos[b] += o.pos[b];
        neg[b] += o.neg[b];
        lo[b] = Math.min(lo[b], o.lo[b]);
        hi[b] = Math.max(hi[b], o.hi[b]);
      }
    }
  }

  static double[] emptyLows(int bins) {
    double[] a = new double[bins];
    Arrays.fill(a, Double.POSITIVE_INFINITY);
    return a;
  }

  static double[] emptyHighs(int bins) {
    double[] a = new double[bins];
    Arrays.fill(a, Double.NEGATIVE_INFINITY);
    return a;
  }

  /** Adds one row to the totals of its value in slice column {@code column}. */
  void addToSlice(int column, UTF8String value, double y, double p) {
    while (slices.size() <= column) {
      slices.add(new HashMap<>());
    }
    HashMap<UTF8String, SliceTotals> m = slices.get(column);
    SliceTotals t = m.get(value);
    if (t == null) {
      t = new SliceTotals();
      // The row's buffer is reused by the next row: keep a copy of the key.
      m.put(value.clone(), t);
    }
    boolean positive = y == 1.0;
    boolean predicted = p >= threshold;
    t.n++;
    int b = bin(p, SliceMetrics.BINS);
    t.lo[b] = Math.min(t.lo[b], p);
    t.hi[b] = Math.max(t.hi[b], p);
    if (positive) {
      t.positives++;
      t.pos[b]++;
      if (predicted) {
        t.tp++;
      }
    } else {
      t.neg[b]++;
      if (predicted) {
        t.fp++;
      }
    }
    t.loss += logLoss(y, p);
  }

  /** Replicate r's weighted count in cell (b*2+y)*2+c. */
  int repCell(int r, int cell) {
    return repCells[cell * replicates + r];
  }

  /** Replicate r's weighted score sum in calibration bin k. */
  double repCalScore(int r, int k) {
    return repCalScore[k * replicates + r];
  }

  ScorePass(double threshold, int calibrationBins, int replicates, long seed) {
    this.threshold = threshold;
    this.calibrationBins = calibrationBins;
    this.replicates = replicates;
    this.seed = seed;
  }

  private void allocate() {
    if (finePos != null) {
      return;
    }
    finePos = new long[FINE_BINS];
    fineNeg = new long[FINE_BINS];
    fineLo = emptyLows(FINE_BINS);
    fineHi = emptyHighs(FINE_BINS);
    calCount = new long[calibrationBins];
    calPos = new long[calibrationBins];
    calScore = new double[calibrationBins];
    repCells = new int[replicates * COARSE_BINS * 4];
    repLogLoss = new double[replicates];
    repBrier = new double[replicates];
    repCalScore = new double[replicates * calibrationBins];
  }

  static int bin(double p, int bins) {
    int b = (int) Math.floor(p * bins);
    return b < 0 ? 0 : Math.min(b, bins - 1);
  }

  static double logLoss(double y, double p) {
    double q = Math.min(Math.max(p, EPS), 1 - EPS);
    return y == 1.0 ? -Math.log(q) : -Math.log(1 - q);
  }

  /** Adds one prediction; {@code hash} (of the row's key) seeds its bootstrap weights. */
  void add(double y, double p, long hash) {
    allocate();
    boolean positive = y == 1.0;
    boolean predicted = p >= threshold;
    n++;
    if (positive) {
      positives++;
      if (predicted) {
        tp++;
      } else {
        fn++;
      }
    } else if (predicted) {
      fp++;
    } else {
      tn++;
    }
    double loss = logLoss(y, p);
    double brier = (p - y) * (p - y);
    sumLogLoss += loss;
    sumBrier += brier;
    int fine = bin(p, FINE_BINS);
    fineLo[fine] = Math.min(fineLo[fine], p);
    fineHi[fine] = Math.max(fineHi[fine], p);
    if (positive) {
      finePos[fine]++;
    } else {
      fineNeg[fine]++;
    }
    int cal = bin(p, calibrationBins);
    calCount[cal]++;
    calScore[cal] += p;
    if (positive) {
      calPos[cal]++;
    }
    if (replicates == 0) {
      return;
    }
    int cell = (bin(p, COARSE_BINS) * 2 + (positive ? 1 : 0)) * 2 + (predicted ? 1 : 0);
    int cellBase = cell * replicates;
    int calBase = cal * replicates;
    long state = hash ^ seed * 0x9E3779B97F4A7C15L;
    long z = 0;
    for (int r = 0; r < replicates; r++) {
      if ((r & 3) == 0) {
        state += 0x9E3779B97F4A7C15L;
        z = state;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z = z ^ (z >>> 31);
      }
      int w = POISSON[(int) (z >>> ((r & 3) << 4)) & 0xFFFF];
      if (w == 0) {
        continue;
      }
      repCells[cellBase + r] += w;
      repLogLoss[r] += w * loss;
      repBrier[r] += w * brier;
      repCalScore[calBase + r] += w * p;
    }
  }

  ScorePass merge(ScorePass o) {
    if (o.finePos == null) {
      skipped += o.skipped;
      return this;
    }
    if (finePos == null) {
      o.skipped += skipped;
      return o;
    }
    n += o.n;
    skipped += o.skipped;
    positives += o.positives;
    tp += o.tp;
    fp += o.fp;
    tn += o.tn;
    fn += o.fn;
    sumLogLoss += o.sumLogLoss;
    sumBrier += o.sumBrier;
    add(finePos, o.finePos);
    add(fineNeg, o.fineNeg);
    for (int i = 0; i < FINE_BINS; i++) {
      fineLo[i] = Math.min(fineLo[i], o.fineLo[i]);
      fineHi[i] = Math.max(fineHi[i], o.fineHi[i]);
    }
    add(calCount, o.calCount);
    add(calPos, o.calPos);
    add(calScore, o.calScore);
    for (int i = 0; i < repCells.length; i++) {
      repCells[i] += o.repCells[i];
    }
    add(repLogLoss, o.repLogLoss);
    add(repBrier, o.repBrier);
    add(repCalScore, o.repCalScore);
    for (int c = 0; c < o.slices.size(); c++) {
      while (slices.size() <= c) {
        slices.add(new HashMap<>());
      }
      HashMap<UTF8String, SliceTotals> mine = slices.get(c);
      o.slices
          .get(c)
          .forEach(
              (v, t) ->
                  mine.merge(
                      v,
                      t,
                      (a, b) -> {
                        a.merge(b);
                        return a;
                      }));
    }
    return this;
  }

  private static void add(long[] a, long[] b) {
    for (int i = 0; i < a.length; i++) {
      a[i] += b[i];
    }
  }

  private static void add(double[] a, double[] b) {
    for (int i = 0; i < a.length; i++) {
      a[i] += b[i];
    }
  }

  /**
   * Runs the pass over {@code predictions} (label, score and key columns; nulls in label or score
   * are rejected earlier by the caller's schema and count checks), with the totals of every value
   * of {@code sliceColumns} (compared as strings; null is "null") gathered in the same pass.
   */
  static ScorePass run(
      Dataset<Row> predictions,
      String label,
      String score,
      String key,
      double threshold,
      int calibrationBins,
      int replicates,
      long seed,
      List<String> sliceColumns) {
    List<Column> columns = new ArrayList<>();
    columns.add(col(label).cast("double"));
    columns.add(col(score).cast("double"));
    columns.add(xxhash64(col(key)));
    for (String c : sliceColumns) {
      columns.add(coalesce(col(c).cast("string"), lit("null")));
    }
    int sliceCount = sliceColumns.size();
    // Internal rows: no conversion to external Rows, the values are read in place.
    JavaRDD<InternalRow> rows =
        predictions.select(columns.toArray(new Column[0])).queryExecution().toRdd().toJavaRDD();
    ScorePass zero = new ScorePass(threshold, calibrationBins, replicates, seed);
    if (rows.getNumPartitions() == 0) {
      return zero;
    }
    ScorePass out =
        rows.mapPartitions(
                (Iterator<InternalRow> it) -> {
                  ScorePass s = new ScorePass(threshold, calibrationBins, replicates, seed);
                  while (it.hasNext()) {
                    InternalRow r = it.next();
                    if (r.isNullAt(0) || r.isNullAt(1)) {
                      s.skipped++;
                      continue;
                    }
                    s.add(r.getDouble(0), r.getDouble(1), r.getLong(2));
                    for (int c = 0; c < sliceCount; c++) {
                      s.addToSlice(c, r.getUTF8String(3 + c), r.getDouble(0), r.getDouble(1));
                    }
                  }
                  return java.util.List.of(s).iterator();
                })
            .treeReduce(ScorePass::merge, 2);
    return out == null ? zero : out;
  }
}

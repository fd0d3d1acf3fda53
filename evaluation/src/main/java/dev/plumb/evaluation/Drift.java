package dev.plumb.evaluation;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.util.QuantileSummaries;
import scala.Tuple2;

/**
 * Population stability index per feature between a reference (the training data) and a target (the
 * evaluation data, or any new dataset): bins are the reference's quantiles (distinct cut points, so
 * a categorical index gets one bin per value when there are few), plus one bin for nulls; PSI = sum
 * over bins of (t - r) * ln(t / r), shares floored at {@value #FLOOR}. Each dataset is read once
 * for all features: one quantile pass over the reference, one counting pass each.
 */
public final class Drift {

  static final double FLOOR = 1e-4;

  private Drift() {}

  /** The reference's bin edges per feature, each strictly ascending (as {@link #tally} needs). */
  public record Bins(Map<String, double[]> cuts) {
    public Bins {
      for (Map.Entry<String, double[]> e : cuts.entrySet()) {
        double[] c = e.getValue();
        for (int i = 1; i < c.length; i++) {
          if (Double.compare(c[i - 1], c[i]) >= 0) {
            throw new IllegalArgumentException(
                "The drift bin edges of '"
                    + e.getKey()
                    + "' are not strictly ascending: "
                    + Arrays.toString(c)
                    + " (a stored reference.json edited by hand? refit it by training again)");
          }
        }
      }
    }
  }

  /** Rows of the reference the bin edges are fitted on, at most. */
  static final long FIT_ROWS = 200_000;

  /**
   * Cut points from the reference's quantiles (relative error 1e-3), fitted on a seeded sample of
   * at most {@value #FIT_ROWS} reference rows: the edges only need to split the reference into
   * roughly equal shares; the shares themselves ({@link #shares}) are exact over all rows.
   */
  public static Bins fit(Dataset<Row> reference, List<String> features, int bins) {
    Dataset<Row> numeric = numeric(reference, features);
    return quantileBins(fitSample(numeric, numeric.count()), features, bins);
  }

  /**
   * The seeded sample of a reference of {@code rows} rows that {@link #fit} takes its edges from:
   * every row up to {@value #FIT_ROWS}, else about 1.2 x {@value #FIT_ROWS} of them. Drawn before
   * an expensive step (scoring), it gives the same rows as drawing after it, since the step keeps
   * the partitions and their order.
   */
  public static Dataset<Row> fitSample(Dataset<Row> reference, long rows) {
    return rows > FIT_ROWS
        ? reference.sample(false, Math.min(1.0, 1.2 * FIT_ROWS / rows), 17L)
        : reference;
  }

  /** {@code features} of {@code reference} as doubles, after checking that each is there. */
  static Dataset<Row> numeric(Dataset<Row> reference, List<String> features) {
    for (String f : features) {
      if (!Arrays.asList(reference.columns()).contains(f)) {
        throw EvalErrors.missingColumn("the drift reference's feature", f, reference.schema());
      }
    }
    return reference.select(
        features.stream().map(f -> col(f).cast("double").as(f)).toArray(Column[]::new));
  }

  /**
   * {@link #fit}'s edges from {@code sample}, already the sample to fit on ({@link #fitSample}):
   * one quantile pass, no count.
   */
  public static Bins quantileBins(Dataset<Row> sample, List<String> features, int bins) {
    Dataset<Row> numeric = numeric(sample, features);
    double[] probs = new double[bins - 1];
    for (int i = 1; i < bins; i++) {
      probs[i - 1] = (double) i / bins;
    }
    double[][] q = approxQuantiles(numeric, probs, 1e-3);
    Map<String, double[]> cuts = new LinkedHashMap<>();
    for (int i = 0; i < features.size(); i++) {
      TreeSet<Double> distinct = new TreeSet<>();
      for (double v : q[i]) {
        distinct.add(v);
      }
      cuts.put(features.get(i), distinct.stream().mapToDouble(Double::doubleValue).toArray());
    }
    return new Bins(cuts);
  }

  /**
   * Partitions whose quantile summaries are merged on one executor, in partition order, before the
   * driver merges those merges: the driver holds at most this many summaries per group, and a
   * summary of few rows is about as large as its rows (a 10,000-partition input would otherwise
   * bring nearly every sampled value to the driver).
   */
  static final int MERGE_FAN_IN = 16;

  /**
   * Per column of {@code numeric} (doubles), the quantiles at {@code probs} within {@code
   * relativeError} of rank, as {@code DataFrameStatFunctions.approxQuantile} gives them (the same
   * Greenwald-Khanna summaries, nulls and NaN left out, an empty array for a column with no value),
   * but the same on every run: Spark folds the partitions' summaries in the order their tasks end,
   * and a merged summary depends on that order, so the edges of one sample could differ between two
   * runs. Here the partitions' summaries are merged in partition order: up to {@value
   * #MERGE_FAN_IN} partitions on the driver directly, else in groups of {@value #MERGE_FAN_IN}
   * consecutive partitions on the executors (each group sorted by partition before its merge), then
   * the groups in order on the driver.
   */
  static double[][] approxQuantiles(Dataset<Row> numeric, double[] probs, double relativeError) {
    int columns = numeric.columns().length;
    JavaRDD<Tuple2<Integer, Tuple2<Integer, QuantileSummaries[]>>> perPartition =
        numeric
            .javaRDD()
            .mapPartitionsWithIndex(
                (index, rows) -> {
                  QuantileSummaries[] s = emptySummaries(columns, relativeError);
                  while (rows.hasNext()) {
                    Row row = rows.next();
                    for (int i = 0; i < columns; i++) {
                      if (!row.isNullAt(i)) {
                        double v = row.getDouble(i);
                        if (!Double.isNaN(v)) {
                          s[i] = s[i].insert(v);
                        }
                      }
                    }
                  }
                  for (int i = 0; i < columns; i++) {
                    s[i] = s[i].compress();
                  }
                  return List.of(new Tuple2<>(index / MERGE_FAN_IN, new Tuple2<>(index, s)))
                      .iterator();
                },
                true);
    List<Tuple2<Integer, Tuple2<Integer, QuantileSummaries[]>>> parts;
    if (perPartition.getNumPartitions() <= MERGE_FAN_IN) {
      parts = perPartition.collect();
    } else {
      int groups = (perPartition.getNumPartitions() + MERGE_FAN_IN - 1) / MERGE_FAN_IN;
      parts =
          perPartition
              .mapToPair(t -> t)
              .groupByKey(groups)
              .map(
                  g -> {
                    List<Tuple2<Integer, QuantileSummaries[]>> inGroup = new ArrayList<>();
                    g._2().forEach(inGroup::add);
                    inGroup.sort(Comparator.comparing(Tuple2::_1));
                    return new Tuple2<>(
                        g._1(),
                        new Tuple2<>(
                            inGroup.get(0)._1(), mergedInOrder(inGroup, columns, relativeError)));
                  })
              .collect();
    }
    List<Tuple2<Integer, QuantileSummaries[]>> ordered = new ArrayList<>();
    parts.forEach(t -> ordered.add(t._2()));
    ordered.sort(Comparator.comparing(Tuple2::_1));
    QuantileSummaries[] merged = mergedInOrder(ordered, columns, relativeError);
    double[][] q = new double[columns][];
    for (int i = 0; i < columns; i++) {
      QuantileSummaries s = merged[i];
      if (s.count() == 0) {
        q[i] = new double[0];
        continue;
      }
      q[i] = new double[probs.length];
      for (int j = 0; j < probs.length; j++) {
        q[i][j] = (Double) s.query(probs[j]).get();
      }
    }
    return q;
  }

  /** Per column, the summaries of {@code parts} merged in their order, compressed. */
  private static QuantileSummaries[] mergedInOrder(
      List<Tuple2<Integer, QuantileSummaries[]>> parts, int columns, double relativeError) {
    QuantileSummaries[] merged = emptySummaries(columns, relativeError);
    for (Tuple2<Integer, QuantileSummaries[]> part : parts) {
      for (int i = 0; i < columns; i++) {
        merged[i] = merged[i].compress().merge(part._2()[i]);
      }
    }
    for (int i = 0; i < columns; i++) {
      merged[i] = merged[i].compress();
    }
    return merged;
  }

  private static QuantileSummaries[] emptySummaries(int columns, double relativeError) {
    QuantileSummaries[] s = new QuantileSummaries[columns];
    for (int i = 0; i < columns; i++) {
      s[i] =
          new QuantileSummaries(
              QuantileSummaries.defaultCompressThreshold(),
              relativeError,
              QuantileSummaries.$lessinit$greater$default$3(),
              0L,
              false);
    }
    return s;
  }

  /**
   * Share of rows per bin and feature: bin 0 is null, bin i (1..k) holds cut[i-2] &lt; x &lt;=
   * cut[i-1] with open ends.
   */
  public static Map<String, double[]> shares(Dataset<Row> data, Bins bins) {
    return tally(data, bins).shares();
  }

  /**
   * The rows counted and the share of them per bin and feature (see {@link #shares}).
   *
   * @param rows the rows of the dataset
   * @param shares per feature, the share of rows per bin (all zero when there are no rows)
   */
  public record Tally(long rows, Map<String, double[]> shares) {}

  /**
   * {@link #shares} and the row count, in the same single pass over {@code data}. Per feature it
   * counts the values that are not null and, for each cut, the values at most that cut (one
   * comparison per cut and row); a bin's count is the difference of two neighbouring counts, since
   * the cuts are ascending. NaN is above every cut (Spark orders it last), so it falls in the top
   * bin.
   */
  public static Tally tally(Dataset<Row> data, Bins bins) {
    List<Column> aggs = new ArrayList<>();
    aggs.add(count(lit(1)));
    for (Map.Entry<String, double[]> e : bins.cuts().entrySet()) {
      Column x = col(e.getKey()).cast("double");
      aggs.add(count(x));
      for (double cut : e.getValue()) {
        aggs.add(count(when(x.leq(cut), lit(1))));
      }
    }
    Row r = data.agg(aggs.get(0), aggs.subList(1, aggs.size()).toArray(Column[]::new)).first();
    long rows = r.getLong(0);
    double n = rows;
    Map<String, double[]> out = new LinkedHashMap<>();
    int j = 1;
    for (Map.Entry<String, double[]> e : bins.cuts().entrySet()) {
      int k = e.getValue().length;
      long notNull = r.getLong(j++);
      long[] counts = new long[k + 2];
      counts[0] = rows - notNull;
      long below = 0;
      for (int i = 0; i < k; i++) {
        long atMost = r.getLong(j++);
        counts[i + 1] = atMost - below;
        below = atMost;
      }
      counts[k + 1] = notNull - below;
      double[] s = new double[k + 2];
      for (int i = 0; i < s.length; i++) {
        s[i] = n == 0 ? 0 : counts[i] / n;
      }
      out.put(e.getKey(), s);
    }
    return new Tally(rows, out);
  }

  /**
   * PSI of two share vectors over the same bins: sum of (t - r) * ln(t / r), shares floored at
   * {@value #FLOOR}; bins empty on both sides count nothing.
   */
  public static double psi(double[] reference, double[] target) {
    double total = 0;
    for (int i = 0; i < reference.length; i++) {
      if (reference[i] == 0 && target[i] == 0) {
        continue;
      }
      double r = Math.max(reference[i], FLOOR);
      double t = Math.max(target[i], FLOOR);
      total += (t - r) * Math.log(t / r);
    }
    return total;
  }

  /** PSI per feature of {@code target} against the reference shares. */
  public static Map<String, Double> psi(
      Map<String, double[]> reference, Map<String, double[]> target) {
    Map<String, Double> out = new LinkedHashMap<>();
    reference.forEach((f, r) -> out.put(f, psi(r, target.get(f))));
    return out;
  }
}

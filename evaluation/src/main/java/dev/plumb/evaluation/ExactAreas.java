package dev.plumb.evaluation;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.storage.StorageLevel;
import scala.Tuple2;

/**
 * Exact ROC-AUC and average precision, per group of rows, from positives and negatives per distinct
 * (group, score): each distinct score is its own threshold, so ties are handled as the definitions
 * say (ROC-AUC: a tied (positive, negative) pair counts 1/2; average precision: the thresholds are
 * the distinct scores, as in scikit-learn). One aggregation counts the distinct scores; when there
 * are at most {@value #MAX_DISTINCT} (a raw feature, a sample, a slice's crowded scores) the sums
 * run on the driver, otherwise over the range-partitioned counts in two passes (each partition's
 * totals first, then the sums from each partition's offsets), so that only per-partition sums reach
 * the driver.
 *
 * <p>The evaluator computes its areas from the shared pass's score bins and comes here only for the
 * groups whose bins cannot guarantee {@link #TOLERANCE} ({@link Curves#binned}).
 */
final class ExactAreas {

  static final int MAX_DISTINCT = 200_000;

  /**
   * The most a reported area may differ from its exact value (the bound BENCHMARKS.md states):
   * areas from score bins whose error bound is larger are recomputed, on finer bins or here.
   */
  static final double TOLERANCE = 1e-4;

  /** The group of {@link #compute}: all rows. */
  static final String ALL = "";

  private ExactAreas() {}

  /** Both areas. */
  record Areas(double rocAuc, double averagePrecision) {

    static final Areas UNDEFINED = new Areas(Double.NaN, Double.NaN);
  }

  /** The areas of {@code score} over all rows of {@code data}; scores must not be null. */
  static Areas compute(Dataset<Row> data, String label, Column score) {
    return byGroup(data.select(lit(ALL).as("g"), score.as("s"), col(label).as("y")))
        .getOrDefault(ALL, Areas.UNDEFINED);
  }

  /**
   * The areas of each group.
   *
   * @param rows columns {@code g} (the group, a string), {@code s} (the score, not null) and {@code
   *     y} (the label; 1 is positive)
   */
  static Map<String, Areas> byGroup(Dataset<Row> rows) {
    return byGroup(rows, MAX_DISTINCT);
  }

  /** {@link #byGroup(Dataset)}, summing on the driver only up to {@code maxDistinct} counts. */
  static Map<String, Areas> byGroup(Dataset<Row> rows, int maxDistinct) {
    Column positive = col("positive");
    Dataset<Row> counts =
        rows.select(
                col("g").cast("string").as("g"),
                col("s").cast("double").as("s"),
                col("y").cast("double").equalTo(1.0).as("positive"))
            .groupBy(col("g"), col("s"))
            .agg(
                sum(when(positive, 1L).otherwise(0L)).as("pos"),
                sum(when(positive, 0L).otherwise(1L)).as("neg"))
            .persist(StorageLevel.MEMORY_AND_DISK());
    try {
      List<Row> few = counts.limit(maxDistinct + 1).collectAsList();
      return few.size() <= maxDistinct ? onDriver(few) : distributed(counts);
    } finally {
      counts.unpersist();
    }
  }

  private static void checkScore(Row count) {
    if (count.isNullAt(1)) {
      throw new IllegalArgumentException(
          String.format(
              "Cannot compute exact areas: %,d rows%s have a null score (fix the scorer or the"
                  + " data; rows are never dropped silently)",
              count.getLong(2) + count.getLong(3),
              count.getString(0).isEmpty() ? "" : " of group " + count.getString(0)));
    }
  }

  /** Sorts each group's distinct scores and sums, one distinct score per histogram bin. */
  private static Map<String, Areas> onDriver(List<Row> counts) {
    Map<String, List<Row>> groups = new LinkedHashMap<>();
    for (Row r : counts) {
      checkScore(r);
      groups.computeIfAbsent(r.getString(0), g -> new ArrayList<>()).add(r);
    }
    Map<String, Areas> out = new LinkedHashMap<>();
    groups.forEach(
        (g, rs) -> {
          rs.sort(Comparator.comparingDouble(r -> r.getDouble(1)));
          double[] pos = new double[rs.size()];
          double[] neg = new double[rs.size()];
          for (int i = 0; i < pos.length; i++) {
            pos[i] = rs.get(i).getLong(2);
            neg[i] = rs.get(i).getLong(3);
          }
          out.put(g, new Areas(Curves.rocAuc(pos, neg), Curves.averagePrecision(pos, neg)));
        });
    return out;
  }

  /**
   * The sums over counts range-partitioned by (group, score descending): a group's scores run
   * through consecutive partitions, so each partition starts from the positives and negatives of
   * the same group in the partitions before it.
   */
  private static Map<String, Areas> distributed(Dataset<Row> counts) {
    Dataset<Row> sorted =
        counts
            .repartitionByRange(col("g"), col("s").desc())
            .sortWithinPartitions(col("g"), col("s").desc())
            .persist(StorageLevel.MEMORY_AND_DISK());
    try {
      // Pass 1: positives and negatives per (partition, group).
      List<Tuple2<String, double[]>> totals =
          sorted
              .javaRDD()
              .mapPartitionsWithIndex(
                  (Integer part, Iterator<Row> it) -> {
                    Map<String, double[]> t = new LinkedHashMap<>();
                    while (it.hasNext()) {
                      Row r = it.next();
                      checkScore(r);
                      double[] c = t.computeIfAbsent(r.getString(0), g -> new double[3]);
                      c[0] = part;
                      c[1] += r.getLong(2);
                      c[2] += r.getLong(3);
                    }
                    List<Tuple2<String, double[]>> out = new ArrayList<>();
                    t.forEach((g, c) -> out.add(new Tuple2<>(g, c)));
                    return out.iterator();
                  },
                  true)
              .collect();
      // Each (partition, group)'s offset: the group's counts in earlier partitions.
      List<Tuple2<String, double[]>> ordered = new ArrayList<>(totals);
      ordered.sort(Comparator.comparingDouble(t -> t._2()[0]));
      Map<String, double[]> running = new HashMap<>();
      HashMap<String, double[]> offsets = new HashMap<>();
      for (Tuple2<String, double[]> t : ordered) {
        double[] r = running.computeIfAbsent(t._1(), g -> new double[2]);
        offsets.put((long) t._2()[0] + ":" + t._1(), new double[] {r[0], r[1]});
        r[0] += t._2()[1];
        r[1] += t._2()[2];
      }
      // Pass 2: per (partition, group), the ROC wins and the average-precision sum.
      List<Tuple2<String, double[]>> sums =
          sorted
              .javaRDD()
              .mapPartitionsWithIndex(
                  (Integer part, Iterator<Row> it) -> {
                    Map<String, double[]> s = new LinkedHashMap<>();
                    while (it.hasNext()) {
                      Row r = it.next();
                      String g = r.getString(0);
                      // state: positives above, negatives above, wins, precision sum
                      double[] st =
                          s.computeIfAbsent(
                              g,
                              k -> {
                                double[] o = offsets.get(part + ":" + k);
                                return new double[] {o[0], o[1], 0, 0};
                              });
                      double pos = r.getLong(2);
                      double neg = r.getLong(3);
                      st[2] += neg * (st[0] + 0.5 * pos);
                      st[0] += pos;
                      st[1] += neg;
                      if (pos > 0) {
                        st[3] += pos * (st[0] / (st[0] + st[1]));
                      }
                    }
                    List<Tuple2<String, double[]>> out = new ArrayList<>();
                    s.forEach((g, st) -> out.add(new Tuple2<>(g, st)));
                    return out.iterator();
                  },
                  true)
              .collect();
      Map<String, double[]> wins = new LinkedHashMap<>();
      for (Tuple2<String, double[]> t : sums) {
        double[] w = wins.computeIfAbsent(t._1(), g -> new double[2]);
        w[0] += t._2()[2];
        w[1] += t._2()[3];
      }
      Map<String, Areas> out = new LinkedHashMap<>();
      wins.forEach(
          (g, w) -> {
            double p = running.get(g)[0];
            double q = running.get(g)[1];
            out.put(
                g,
                new Areas(
                    p == 0 || q == 0 ? Double.NaN : w[0] / (p * q),
                    p == 0 ? Double.NaN : w[1] / p));
          });
      return out;
    } finally {
      sorted.unpersist();
    }
  }
}

package dev.plumb.features;

import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.InternalRow;

/**
 * Each feature's exact single-feature ROC-AUC (ties count one half; the Mann-Whitney U) in one scan
 * and no shuffle: every partition counts, per feature and distinct value, the positive and negative
 * rows in a primitive hash table; the driver merges the partitions' sorted counts and credits each
 * value's positives with the negatives below it. The counts a Spark {@code groupBy(feature, value)}
 * gives, without a row per (row, feature) or a sort: for features of up to {@link #MAX_DISTINCT}
 * distinct values per partition; above that the caller takes the Spark path ({@link #of} returns
 * null).
 */
final class SingleFeatureAuc {

  /** Distinct values of one feature in one partition above which the Spark path is taken. */
  static final int MAX_DISTINCT = 1 << 18;

  private SingleFeatureAuc() {}

  /**
   * The ROC-AUC of each of {@code values} (doubles, null and NaN already mapped to the lowest rank)
   * as a score for {@code positive} (a boolean column; null counts as negative), by index; null
   * when a feature has too many distinct values for the counting path.
   */
  static double[] of(Dataset<Row> rows, Column positive, Column[] values) {
    return of(rows, positive, values, MAX_DISTINCT);
  }

  /** {@link #of} with another bound on the distinct values per feature and partition. */
  static double[] of(Dataset<Row> rows, Column positive, Column[] values, int maxDistinct) {
    Column[] cols = new Column[values.length + 1];
    cols[0] = positive;
    System.arraycopy(values, 0, cols, 1, values.length);
    int features = values.length;
    List<DistinctCounts[]> parts =
        rows.select(cols)
            .queryExecution()
            .toRdd()
            .toJavaRDD()
            .mapPartitions(
                (Iterator<InternalRow> it) ->
                    java.util.Collections.singletonList(count(it, features, maxDistinct))
                        .iterator())
            .collect();
    double[] auc = new double[features];
    for (int f = 0; f < features; f++) {
      DistinctCounts all = DistinctCounts.EMPTY;
      for (DistinctCounts[] part : parts) {
        if (part == null) {
          return null;
        }
        all = all.mergedAscending(part[f]);
      }
      auc[f] = auc(all);
    }
    return auc;
  }

  /** One partition's counts per feature; null when a feature has too many distinct values. */
  private static DistinctCounts[] count(Iterator<InternalRow> it, int features, int maxDistinct) {
    Table[] tables = new Table[features];
    for (int f = 0; f < features; f++) {
      tables[f] = new Table(maxDistinct);
    }
    while (it.hasNext()) {
      InternalRow r = it.next();
      boolean y = !r.isNullAt(0) && r.getBoolean(0);
      for (int f = 0; f < features; f++) {
        double v = r.getDouble(f + 1);
        // Spark groups -0.0 with 0.0.
        if (!tables[f].add(Double.doubleToLongBits(v == 0.0 ? 0.0 : v), y)) {
          return null;
        }
      }
    }
    DistinctCounts[] out = new DistinctCounts[features];
    for (int f = 0; f < features; f++) {
      out[f] = tables[f].sorted();
    }
    return out;
  }

  /**
   * U / (P * N) of one feature's counts (values ascending, {@code first} the positive and {@code
   * second} the negative rows of each): each value's positives credited with the negatives below
   * it, ties half.
   */
  static double auc(DistinctCounts counted) {
    long[] pos = counted.first();
    long[] neg = counted.second();
    double u = 0;
    long negativesBelow = 0;
    long positives = 0;
    for (int i = 0; i < pos.length; i++) {
      u += pos[i] * (negativesBelow + neg[i] * 0.5);
      negativesBelow += neg[i];
      positives += pos[i];
    }
    return positives == 0 || negativesBelow == 0
        ? Double.NaN
        : u / ((double) positives * negativesBelow);
  }

  /** An open-addressing table from a value's bits to its positive and negative rows. */
  private static final class Table {
    private long[] keys = new long[1024];
    private boolean[] used = new boolean[1024];
    private long[] pos = new long[1024];
    private long[] neg = new long[1024];
    private int size;
    private final int maxDistinct;

    Table(int maxDistinct) {
      this.maxDistinct = maxDistinct;
    }

    /** Counts one row; false when the table would hold more than its bound of values. */
    boolean add(long key, boolean positive) {
      int mask = keys.length - 1;
      int i = mix(key) & mask;
      while (used[i] && keys[i] != key) {
        i = (i + 1) & mask;
      }
      if (!used[i]) {
        if (size >= maxDistinct) {
          return false;
        }
        used[i] = true;
        keys[i] = key;
        size++;
        if (size * 2 > keys.length) {
          grow();
          return add(key, positive);
        }
      }
      if (positive) {
        pos[i]++;
      } else {
        neg[i]++;
      }
      return true;
    }

    private void grow() {
      long[] k = keys;
      boolean[] u = used;
      long[] p = pos;
      long[] n = neg;
      keys = new long[k.length * 2];
      used = new boolean[k.length * 2];
      pos = new long[k.length * 2];
      neg = new long[k.length * 2];
      int mask = keys.length - 1;
      for (int j = 0; j < k.length; j++) {
        if (u[j]) {
          int i = mix(k[j]) & mask;
          while (used[i]) {
            i = (i + 1) & mask;
          }
          used[i] = true;
          keys[i] = k[j];
          pos[i] = p[j];
          neg[i] = n[j];
        }
      }
    }

    private static int mix(long key) {
      long h = key * 0x9E3779B97F4A7C15L;
      return (int) (h ^ (h >>> 32));
    }

    /** The values ascending, each with its positive (first) and negative (second) rows. */
    DistinctCounts sorted() {
      double[] v = new double[size];
      int k = 0;
      for (int i = 0; i < keys.length; i++) {
        if (used[i]) {
          v[k++] = Double.longBitsToDouble(keys[i]);
        }
      }
      Arrays.sort(v);
      long[] p = new long[size];
      long[] n = new long[size];
      int mask = keys.length - 1;
      for (int j = 0; j < size; j++) {
        long key = Double.doubleToLongBits(v[j]);
        int i = mix(key) & mask;
        while (keys[i] != key || !used[i]) {
          i = (i + 1) & mask;
        }
        p[j] = pos[i];
        n[j] = neg[i];
      }
      return new DistinctCounts(v, p, n);
    }
  }
}

package dev.plumb.features;

import java.io.Serializable;
import java.util.Arrays;

/**
 * Distinct doubles in one order ({@link Double#compare}, ascending or descending), each with two
 * counts: what a partition counts per distinct value (a feature's positives and negatives for the
 * leakage guard, a score's labelled rows and positives for the operating point) so that the driver
 * merges partitions without a shuffle.
 *
 * @param values distinct, in the order the merge is named for
 * @param first the first count of each value
 * @param second the second count of each value
 */
public record DistinctCounts(double[] values, long[] first, long[] second) implements Serializable {
  private static final long serialVersionUID = 1L;

  /** No value: what either merge starts from. */
  public static final DistinctCounts EMPTY =
      new DistinctCounts(new double[0], new long[0], new long[0]);

  /** Both sides' counts by value, both sides (and the result) ascending. */
  public DistinctCounts mergedAscending(DistinctCounts o) {
    return merge(o, 1);
  }

  /** Both sides' counts by value, both sides (and the result) descending. */
  public DistinctCounts mergedDescending(DistinctCounts o) {
    return merge(o, -1);
  }

  /** A sorted merge: a value on both sides becomes one with the counts added. */
  private DistinctCounts merge(DistinctCounts o, int order) {
    double[] v = new double[values.length + o.values.length];
    long[] a = new long[v.length];
    long[] b = new long[v.length];
    int i = 0;
    int j = 0;
    int k = 0;
    while (i < values.length || j < o.values.length) {
      int cmp =
          i == values.length
              ? 1
              : j == o.values.length ? -1 : order * Double.compare(values[i], o.values[j]);
      if (cmp <= 0) {
        v[k] = values[i];
        a[k] = first[i];
        b[k] = second[i];
        i++;
        if (cmp == 0) {
          a[k] += o.first[j];
          b[k] += o.second[j];
          j++;
        }
      } else {
        v[k] = o.values[j];
        a[k] = o.first[j];
        b[k] = o.second[j];
        j++;
      }
      k++;
    }
    return new DistinctCounts(Arrays.copyOf(v, k), Arrays.copyOf(a, k), Arrays.copyOf(b, k));
  }
}

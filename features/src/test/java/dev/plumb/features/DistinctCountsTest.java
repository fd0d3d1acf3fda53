package dev.plumb.features;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class DistinctCountsTest {

  /** Distinct sorted values of {@code counts} (ascending by Double.compare, or descending). */
  static DistinctCounts of(TreeMap<Double, long[]> counts, boolean descending) {
    Map<Double, long[]> m = descending ? counts.descendingMap() : counts;
    double[] v = new double[m.size()];
    long[] a = new long[v.length];
    long[] b = new long[v.length];
    int k = 0;
    for (Map.Entry<Double, long[]> e : m.entrySet()) {
      v[k] = e.getKey();
      a[k] = e.getValue()[0];
      b[k] = e.getValue()[1];
      k++;
    }
    return new DistinctCounts(v, a, b);
  }

  @Test
  void mergingTwoSortedSidesGivesTheCountsOfTheirUnionInTheSameOrder() {
    // Two random sides over a small value range (many shared values, NaN and infinities among
    // them); the merge must equal counting both sides' rows into one sorted map.
    Random random = new Random(11);
    double[] pool = {Double.NEGATIVE_INFINITY, -2.5, -1, 0, 0.25, 1, 3, Double.POSITIVE_INFINITY};
    TreeMap<Double, long[]> left = new TreeMap<>();
    TreeMap<Double, long[]> right = new TreeMap<>();
    for (int r = 0; r < 400; r++) {
      double x = random.nextInt(20) == 0 ? Double.NaN : pool[random.nextInt(pool.length)];
      int which = random.nextInt(2);
      TreeMap<Double, long[]> side = random.nextBoolean() ? left : right;
      side.computeIfAbsent(x, k -> new long[2])[which]++;
    }
    right.remove(-1.0); // a value on one side only (left has it: 400 draws over 9 values)
    TreeMap<Double, long[]> expected = new TreeMap<>();
    for (TreeMap<Double, long[]> side : List.of(left, right)) {
      side.forEach(
          (x, c) -> {
            long[] e = expected.computeIfAbsent(x, k -> new long[2]);
            e[0] += c[0];
            e[1] += c[1];
          });
    }
    DistinctCounts up = of(left, false).mergedAscending(of(right, false));
    DistinctCounts want = of(expected, false);
    assertThat(up.values()).containsExactly(want.values());
    assertThat(up.first()).containsExactly(want.first());
    assertThat(up.second()).containsExactly(want.second());
    assertThat(up.values()[up.values().length - 1]).isNaN();

    DistinctCounts down = of(left, true).mergedDescending(of(right, true));
    DistinctCounts wantDown = of(expected, true);
    assertThat(down.values()).containsExactly(wantDown.values());
    assertThat(down.first()).containsExactly(wantDown.first());
    assertThat(down.second()).containsExactly(wantDown.second());

    DistinctCounts empty = new DistinctCounts(new double[0], new long[0], new long[0]);
    assertThat(empty.mergedAscending(up).values()).containsExactly(up.values());
    assertThat(up.mergedAscending(empty).first()).containsExactly(up.first());
  }
}

package dev.plumb.evaluation;

import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.plumb.evaluation.Fixtures.P;
import dev.plumb.testing.SharedSpark;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(SharedSpark.class)
class SliceAreasTest {

  /**
   * 20 slices of 3-10 positives and 40-120 negatives each. Slices s00-s14 have scores rounded to
   * 1e-4 (ten possible scores per 1e-3 slice bin, many repeated); s15-s19 take one of five scores
   * (every bin holds one score: its ties are real ties).
   */
  static List<P> crowded(long seed) {
    Random random = new Random(seed);
    double[] few = {0.1, 0.2, 0.25, 0.5, 0.9};
    List<P> out = new ArrayList<>();
    for (int g = 0; g < 20; g++) {
      String slice = String.format("s%02d", g);
      int positives = 3 + random.nextInt(8);
      int negatives = 40 + random.nextInt(81);
      for (int i = 0; i < positives + negatives; i++) {
        double y = i < positives ? 1 : 0;
        double s =
            g < 15
                ? Math.round((0.3 + 0.004 * y + 0.01 * random.nextDouble()) * 1e4) / 1e4
                : few[Math.min(4, random.nextInt(4) + (int) y)];
        out.add(new P(out.size(), y, s, slice, 0));
      }
    }
    return out;
  }

  /** ROC-AUC over 1e-3 bins, as slices were measured before: a bin's pairs count as ties. */
  static double binnedAuc(List<P> rows) {
    double wins = 0;
    double pairs = 0;
    for (P a : rows) {
      for (P b : rows) {
        if (a.label() == 1 && b.label() == 0) {
          int ba = ScorePass.bin(a.score(), SliceMetrics.BINS);
          int bb = ScorePass.bin(b.score(), SliceMetrics.BINS);
          pairs++;
          wins += ba > bb ? 1 : ba == bb ? 0.5 : 0;
        }
      }
    }
    return wins / pairs;
  }

  @Test
  void crowdedSlicesWithFewPositivesGetTheirExactRocAuc(SparkSession spark) {
    List<P> rows = crowded(15);
    EvalReport r =
        Evaluator.evaluate(
            Fixtures.input(Fixtures.frame(spark, rows).repartition(3)),
            Fixtures.spec(EvalSpec.Mode.FULL, List.of("group"), List.of()));
    double worstBinned = 0;
    for (int g = 0; g < 20; g++) {
      String slice = String.format("s%02d", g);
      List<P> in = rows.stream().filter(p -> p.group().equals(slice)).toList();
      double exact = Fixtures.auc(in);
      // Within the 1e-4 the headline areas meet; small slices are in fact computed exactly.
      assertThat(r.metrics().get("slice.group=" + slice + ".roc_auc"))
          .as(slice)
          .isCloseTo(exact, within(1e-4))
          .isCloseTo(exact, within(1e-12));
      worstBinned = Math.max(worstBinned, Math.abs(binnedAuc(in) - exact));
    }
    // The 1e-3 bins alone would have missed by far more than 1e-4.
    assertThat(worstBinned).isGreaterThan(1e-2);
    assertThat(r.metrics().get("roc_auc")).isCloseTo(Fixtures.auc(rows), within(1e-12));
    // The five slices with one score per bin were exact from their bins; the other 15 were
    // recomputed from their distinct scores.
    @SuppressWarnings("unchecked")
    Map<String, Object> areas = (Map<String, Object>) r.sample().get("areas");
    assertThat(areas).containsEntry("slices_computed_exactly", 15);
  }

  @Test
  void largeSlicesAreSettledOnFinerBinsAndTheRestExactly(SparkSession spark) {
    Random random = new Random(21);
    List<P> rows = new ArrayList<>();
    // Three slices of 6,000-12,000 rows with unrounded scores: their 1e-3 bins bound the
    // ROC-AUC to ~1e-3 only, the second pass's 10,000 bins to ~5e-5.
    for (String slice : List.of("big1", "big2", "big3")) {
      int n = 6_000 + random.nextInt(6_000);
      for (int i = 0; i < n; i++) {
        double y = random.nextDouble() < 0.3 ? 1 : 0;
        double s = Math.pow(0.2 * y + 0.8 * random.nextDouble(), 2);
        rows.add(new P(rows.size(), y, s, slice, 0));
      }
    }
    // A large slice whose scores all lie within 1e-6: no bins on the 1e-5 grid separate them.
    for (int i = 0; i < 6_000; i++) {
      double y = random.nextDouble() < 0.3 ? 1 : 0;
      rows.add(new P(rows.size(), y, 0.5 + 1e-6 * random.nextDouble() * (1 + y), "narrow", 0));
    }
    EvalReport r =
        Evaluator.evaluate(
            Fixtures.input(Fixtures.frame(spark, rows).repartition(4)),
            Fixtures.spec(EvalSpec.Mode.FULL, List.of("group"), List.of()));
    for (String slice : List.of("big1", "big2", "big3", "narrow")) {
      List<P> in = rows.stream().filter(p -> p.group().equals(slice)).toList();
      double exact = Fixtures.auc(in);
      assertThat(r.metrics().get("slice.group=" + slice + ".roc_auc"))
          .as(slice)
          .isCloseTo(exact, within(1e-4));
      assertThat(Math.abs(binnedAuc(in) - exact)).as(slice).isGreaterThan(0);
    }
    double narrow = Fixtures.auc(rows.stream().filter(p -> p.group().equals("narrow")).toList());
    assertThat(r.metrics().get("slice.group=narrow.roc_auc")).isCloseTo(narrow, within(1e-12));
    @SuppressWarnings("unchecked")
    Map<String, Object> areas = (Map<String, Object>) r.sample().get("areas");
    assertThat(areas)
        .containsEntry("slices_from_bins", 0)
        .containsEntry("slices_from_refined_bins", 3)
        .containsEntry("slices_computed_exactly", 1);
  }

  @Test
  void aSliceTheSecondPassCannotMatchAsTheFirstDidIsComputedExactly(SparkSession spark) {
    // Slices of x = -0.0 and x = 0.0: two values as strings, one value as doubles.
    Random random = new Random(8);
    List<P> rows = new ArrayList<>();
    for (int i = 0; i < 12_000; i++) {
      double y = random.nextDouble() < 0.3 ? 1 : 0;
      double s = 0.3 * y + 0.7 * random.nextDouble();
      rows.add(new P(i, y, s, "a", i % 2 == 0 ? -0.0 : 0.0));
    }
    EvalReport r =
        Evaluator.evaluate(
            Fixtures.input(Fixtures.frame(spark, rows)),
            Fixtures.spec(EvalSpec.Mode.FULL, List.of("x"), List.of()));
    @SuppressWarnings("unchecked")
    Map<String, Object> areas = (Map<String, Object>) r.sample().get("areas");
    assertThat(areas)
        .containsEntry("slices_from_refined_bins", 0)
        .containsEntry("slices_computed_exactly", 2);
    for (int parity = 0; parity < 2; parity++) {
      int p = parity;
      List<P> in = rows.stream().filter(q -> q.id() % 2 == p).toList();
      assertThat(r.metrics().get("slice.x=" + (p == 0 ? "-0" : "0") + ".roc_auc"))
          .isCloseTo(Fixtures.auc(in), within(1e-12));
    }
  }

  @Test
  void theDistributedSumsMatchTheDriverSumsAndABruteForce(SparkSession spark) {
    List<P> rows = crowded(16);
    Dataset<Row> grouped =
        Fixtures.frame(spark, rows)
            .repartition(4)
            .select(col("group").as("g"), col("score").as("s"), col("label").as("y"));
    String partitions = spark.conf().get("spark.sql.shuffle.partitions");
    Map<String, ExactAreas.Areas> driver;
    Map<String, ExactAreas.Areas> distributed;
    try {
      // Seven range partitions over 20 groups: groups run across partition boundaries.
      spark.conf().set("spark.sql.shuffle.partitions", "7");
      driver = ExactAreas.byGroup(grouped);
      distributed = ExactAreas.byGroup(grouped, 0);
    } finally {
      spark.conf().set("spark.sql.shuffle.partitions", partitions);
    }
    assertThat(distributed).hasSize(20).containsOnlyKeys(driver.keySet());
    for (int g = 0; g < 20; g++) {
      String slice = String.format("s%02d", g);
      List<P> in = rows.stream().filter(p -> p.group().equals(slice)).toList();
      double auc = Fixtures.auc(in);
      double ap = Fixtures.averagePrecision(in);
      assertThat(driver.get(slice).rocAuc()).as(slice).isCloseTo(auc, within(1e-12));
      assertThat(distributed.get(slice).rocAuc()).as(slice).isCloseTo(auc, within(1e-12));
      assertThat(driver.get(slice).averagePrecision()).as(slice).isCloseTo(ap, within(1e-12));
      assertThat(distributed.get(slice).averagePrecision()).as(slice).isCloseTo(ap, within(1e-12));
    }
  }
}

package dev.plumb.evaluation;

import static org.apache.spark.sql.functions.abs;
import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.pmod;
import static org.apache.spark.sql.functions.stddev_pop;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;
import static org.apache.spark.sql.functions.xxhash64;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.storage.StorageLevel;

/**
 * Behavioural tests (CheckList-style) on a deterministic sample of evaluation rows, re-scored by
 * the model's {@link Scorer}: perturbation (noise on numeric features: how often the predicted
 * class flips, how far the probability moves), invariance (setting a sensitive column to each
 * configured value must not move the probability beyond a tolerance) and directional expectations
 * (raising a feature must not lower the probability: violation rate). Every changed copy of the
 * sample (one per perturbation, invariance value and directional feature) is re-scored in one job
 * and compared with its base scores in one aggregation. Names of the results are {@code
 * behaviour.<test>[.<column>].<measure>}.
 */
final class Behaviour {

  private static final String BASE = "_plumb_base_score";
  private static final long HASH_BUCKETS = 1_000_000L;

  private Behaviour() {}

  /** A deterministic sample of about {@code rows} rows (seeded hash of the key). */
  static Dataset<Row> sample(Dataset<Row> data, String key, long total, long rows, long seed) {
    double fraction = Math.min(1.0, (double) rows / Math.max(total, 1));
    Column u =
        pmod(xxhash64(lit(seed), col(key)), lit(HASH_BUCKETS)).cast("double").divide(HASH_BUCKETS);
    return fraction >= 1.0 ? data : data.filter(u.lt(fraction));
  }

  /** A uniform value in [-1, 1) from the key, a feature name and a seed. */
  static Column noise(String key, String feature, long seed) {
    return pmod(xxhash64(lit(seed), lit(feature), col(key).cast("string")), lit(HASH_BUCKETS))
        .cast("double")
        .divide(HASH_BUCKETS / 2.0)
        .minus(1.0);
  }

  static Map<String, Double> run(
      Dataset<Row> rows,
      String key,
      String score,
      double threshold,
      EvalSpec.Behaviour spec,
      Scorer scorer,
      long seed) {
    Map<String, Double> out = new LinkedHashMap<>();
    if (spec.perturbation() == null && spec.invariance() == null && spec.directional().isEmpty()) {
      return out;
    }
    List<String> needed = new ArrayList<>();
    if (spec.perturbation() != null) {
      needed.addAll(spec.perturbation().features());
    }
    if (spec.invariance() != null) {
      needed.add(spec.invariance().column());
    }
    spec.directional().forEach(d -> needed.add(d.feature()));
    for (String c : needed) {
      if (!Arrays.asList(rows.columns()).contains(c)) {
        throw EvalErrors.missingColumn("the behavioural test's", c, rows.schema());
      }
    }
    Dataset<Row> input = Arrays.asList(rows.columns()).contains(score) ? rows.drop(score) : rows;
    Dataset<Row> base =
        scorer.score(input).withColumnRenamed(score, BASE).persist(StorageLevel.MEMORY_AND_DISK());
    try {
      // The sample's size and the perturbed features' spreads in one job (the one that scores and
      // caches the sample).
      List<Column> sizeAndSpreads = new ArrayList<>();
      sizeAndSpreads.add(count(lit(1)));
      if (spec.perturbation() != null) {
        spec.perturbation()
            .features()
            .forEach(f -> sizeAndSpreads.add(stddev_pop(col(f).cast("double"))));
      }
      Row summary =
          base.agg(
                  sizeAndSpreads.get(0),
                  sizeAndSpreads.subList(1, sizeAndSpreads.size()).toArray(new Column[0]))
              .first();
      out.put("behaviour.rows", (double) summary.getLong(0));
      List<Variant> variants = new ArrayList<>();
      if (spec.perturbation() != null) {
        EvalSpec.Perturbation pt = spec.perturbation();
        Dataset<Row> noisy = base;
        for (int i = 0; i < pt.features().size(); i++) {
          String f = pt.features().get(i);
          double s = summary.isNullAt(i + 1) ? 0 : summary.getDouble(i + 1);
          noisy =
              noisy.withColumn(
                  f, col(f).cast("double").plus(noise(key, f, seed).multiply(pt.scale() * s)));
        }
        variants.add(new Variant(noisy, 0, false));
      }
      if (spec.invariance() != null) {
        EvalSpec.Invariance inv = spec.invariance();
        for (double v : inv.values()) {
          variants.add(new Variant(base.withColumn(inv.column(), lit(v)), inv.tolerance(), false));
        }
      }
      for (EvalSpec.Directional d : spec.directional()) {
        variants.add(
            new Variant(
                base.withColumn(d.feature(), col(d.feature()).cast("double").plus(d.delta())),
                d.tolerance(),
                true));
      }
      // Every variant re-scored in one job and compared per variant in one aggregation.
      List<Compared> compared = compare(variants, scorer, score, threshold);
      int k = 0;
      if (spec.perturbation() != null) {
        Compared c = compared.get(k++);
        out.put("behaviour.perturbation.flip_rate", c.rate(c.flips()));
        out.put("behaviour.perturbation.mean_abs_change", c.meanAbsChange());
        out.put("behaviour.perturbation.max_abs_change", c.maxAbsChange());
      }
      if (spec.invariance() != null) {
        EvalSpec.Invariance inv = spec.invariance();
        double worstRate = 0;
        double worstMax = 0;
        double sumMean = 0;
        for (int i = 0; i < inv.values().size(); i++) {
          Compared c = compared.get(k++);
          worstRate = Math.max(worstRate, c.rate(c.violations()));
          worstMax = Math.max(worstMax, c.maxAbsChange());
          sumMean += c.meanAbsChange();
        }
        String p = "behaviour.invariance." + inv.column();
        out.put(p + ".violation_rate", worstRate);
        out.put(p + ".mean_abs_change", sumMean / inv.values().size());
        out.put(p + ".max_abs_change", worstMax);
      }
      for (EvalSpec.Directional d : spec.directional()) {
        Compared c = compared.get(k++);
        String p = "behaviour.directional." + d.feature();
        out.put(p + ".violation_rate", c.rate(c.violations()));
        out.put(p + ".mean_change", c.meanChange());
      }
      return out;
    } finally {
      base.unpersist();
    }
  }

  /**
   * Rows with a feature changed, compared with their base scores: a violation is a drop below
   * -tolerance when {@code drop}, else an absolute change above tolerance.
   */
  private record Variant(Dataset<Row> rows, double tolerance, boolean drop) {}

  private static final String VARIANT = "_plumb_variant";

  /**
   * One variant compared with its base scores: its rows, the rows whose predicted class flips at
   * the threshold, the mean and max absolute change, the violations, the mean signed change.
   */
  private record Compared(
      long rows,
      long flips,
      double meanAbsChange,
      double maxAbsChange,
      long violations,
      double meanChange) {

    static final Compared NONE = new Compared(0, 0, 0, 0, 0, 0);

    /** {@code count} as a share of the rows (0 without rows). */
    double rate(long count) {
      return rows == 0 ? 0 : (double) count / rows;
    }
  }

  /**
   * Re-scores every variant's rows in one job and compares them with their base scores, in one
   * aggregation grouped by variant; per variant in the order given ({@link Compared#NONE} for a
   * variant with no rows).
   */
  private static List<Compared> compare(
      List<Variant> variants, Scorer scorer, String score, double threshold) {
    if (variants.isEmpty()) {
      return List.of();
    }
    Dataset<Row> all = null;
    Column change = col(score).minus(col(BASE));
    Column violation = null;
    for (int v = 0; v < variants.size(); v++) {
      Variant variant = variants.get(v);
      Dataset<Row> tagged = variant.rows().withColumn(VARIANT, lit(v));
      // The union widens a column one variant changed (to double) in the others as well, as
      // scoring reads every feature as a float either way.
      all = all == null ? tagged : all.unionByName(tagged);
      Column broken =
          variant.drop() ? change.lt(-variant.tolerance()) : abs(change).gt(variant.tolerance());
      violation =
          violation == null
              ? when(col(VARIANT).equalTo(v), broken)
              : violation.when(col(VARIANT).equalTo(v), broken);
    }
    Column flip = col(score).geq(threshold).notEqual(col(BASE).geq(threshold));
    Compared[] out = new Compared[variants.size()];
    Arrays.fill(out, Compared.NONE);
    for (Row r :
        scorer
            .score(all)
            .groupBy(col(VARIANT))
            .agg(
                count(lit(1)),
                sum(when(flip, 1L).otherwise(0L)),
                avg(abs(change)),
                max(abs(change)),
                sum(when(violation, 1L).otherwise(0L)),
                avg(change))
            .collectAsList()) {
      out[r.getInt(0)] =
          new Compared(
              r.getLong(1),
              r.getLong(2),
              r.getDouble(3),
              r.getDouble(4),
              r.getLong(5),
              r.getDouble(6));
    }
    return List.of(out);
  }
}

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
 * (raising a feature must not lower the probability: violation rate). Names of the results are
 * {@code behaviour.<test>[.<column>].<measure>}.
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
      out.put("behaviour.rows", (double) base.count());
      if (spec.perturbation() != null) {
        EvalSpec.Perturbation pt = spec.perturbation();
        Row sd =
            base.agg(
                    stddev_pop(col(pt.features().get(0)).cast("double")),
                    pt.features().stream()
                        .skip(1)
                        .map(f -> stddev_pop(col(f).cast("double")))
                        .toArray(Column[]::new))
                .first();
        Dataset<Row> noisy = base;
        for (int i = 0; i < pt.features().size(); i++) {
          String f = pt.features().get(i);
          double s = sd.isNullAt(i) ? 0 : sd.getDouble(i);
          noisy =
              noisy.withColumn(
                  f, col(f).cast("double").plus(noise(key, f, seed).multiply(pt.scale() * s)));
        }
        Row r = compare(scorer.score(noisy), score, threshold, 0, false);
        out.put("behaviour.perturbation.flip_rate", rate(r, 1));
        out.put("behaviour.perturbation.mean_abs_change", r.getDouble(2));
        out.put("behaviour.perturbation.max_abs_change", r.getDouble(3));
      }
      if (spec.invariance() != null) {
        EvalSpec.Invariance inv = spec.invariance();
        double worstRate = 0;
        double worstMax = 0;
        double sumMean = 0;
        for (double v : inv.values()) {
          Dataset<Row> changed = base.withColumn(inv.column(), lit(v));
          Row r = compare(scorer.score(changed), score, threshold, inv.tolerance(), false);
          worstRate = Math.max(worstRate, rate(r, 4));
          worstMax = Math.max(worstMax, r.getDouble(3));
          sumMean += r.getDouble(2);
        }
        String p = "behaviour.invariance." + inv.column();
        out.put(p + ".violation_rate", worstRate);
        out.put(p + ".mean_abs_change", sumMean / inv.values().size());
        out.put(p + ".max_abs_change", worstMax);
      }
      for (EvalSpec.Directional d : spec.directional()) {
        Dataset<Row> raised =
            base.withColumn(d.feature(), col(d.feature()).cast("double").plus(d.delta()));
        Row r = compare(scorer.score(raised), score, threshold, d.tolerance(), true);
        String p = "behaviour.directional." + d.feature();
        out.put(p + ".violation_rate", rate(r, 4));
        out.put(p + ".mean_change", r.getDouble(5));
      }
      return out;
    } finally {
      base.unpersist();
    }
  }

  private static double rate(Row r, int i) {
    long n = r.getLong(0);
    return n == 0 ? 0 : (double) r.getLong(i) / n;
  }

  /**
   * Compares re-scored rows with their base scores: count, flips at the threshold, mean and max
   * absolute change, violations (a drop below -tolerance when directional, else |change| above
   * tolerance), mean signed change.
   */
  private static Row compare(
      Dataset<Row> rescored, String score, double threshold, double tolerance, boolean drop) {
    Column change = col(score).minus(col(BASE));
    Column flip = col(score).geq(threshold).notEqual(col(BASE).geq(threshold));
    Column violation = drop ? change.lt(-tolerance) : abs(change).gt(tolerance);
    Row r =
        rescored
            .agg(
                count(lit(1)),
                sum(when(flip, 1L).otherwise(0L)),
                avg(abs(change)),
                max(abs(change)),
                sum(when(violation, 1L).otherwise(0L)),
                avg(change))
            .first();
    if (r.getLong(0) == 0) {
      return org.apache.spark.sql.RowFactory.create(0L, 0L, 0.0, 0.0, 0L, 0.0);
    }
    return r;
  }
}

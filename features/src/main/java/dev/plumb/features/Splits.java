package dev.plumb.features;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.pmod;
import static org.apache.spark.sql.functions.when;
import static org.apache.spark.sql.functions.xxhash64;

import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Deterministic train / validation / test assignment by a seeded hash of the key: the same key
 * lands in the same split on every run, machine and partitioning.
 */
public final class Splits {

  /** The split column added to feature tables. */
  public static final String COLUMN = "split";

  public static final String TRAIN = "train";
  public static final String VALIDATION = "validation";
  public static final String TEST = "test";

  private static final int BUCKETS = 10_000;

  private Splits() {}

  /** Adds the {@link #COLUMN} column. */
  public static Dataset<Row> assign(Dataset<Row> data, FeatureSetSpec spec) {
    Column bucket =
        pmod(xxhash64(lit(spec.splitSeed()), col(spec.keyColumn()).cast("string")), lit(BUCKETS))
            .cast("double")
            .divide(BUCKETS);
    double trainEnd = spec.trainFraction();
    double validationEnd = trainEnd + spec.validationFraction();
    return data.withColumn(
        COLUMN,
        when(bucket.lt(trainEnd), lit(TRAIN))
            .when(bucket.lt(validationEnd), lit(VALIDATION))
            .otherwise(lit(TEST)));
  }
}

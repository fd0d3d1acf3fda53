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
 * Deterministic train / validation / test assignment ({@link SplitPolicy}): the same row lands in
 * the same split on every run, machine and partitioning. The split is stored with the data.
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
    return data.withColumn(COLUMN, column(spec));
  }

  /** The split of each row, as an expression over the input columns. */
  static Column column(FeatureSetSpec spec) {
    if (spec.split() instanceof SplitPolicy.TimeCutoffs t) {
      Column ts = col(spec.eventTime()).cast("timestamp");
      return when(ts.lt(lit(t.validationFrom()).cast("timestamp")), lit(TRAIN))
          .when(ts.lt(lit(t.testFrom()).cast("timestamp")), lit(VALIDATION))
          .otherwise(lit(TEST)); // also rows without an event time: never fitted on
    }
    SplitPolicy.KeyHash k = (SplitPolicy.KeyHash) spec.split();
    Column bucket =
        pmod(xxhash64(lit(k.seed()), col(spec.keyColumn()).cast("string")), lit(BUCKETS))
            .cast("double")
            .divide(BUCKETS);
    double trainEnd = k.train();
    double validationEnd = trainEnd + k.validation();
    return when(bucket.lt(trainEnd), lit(TRAIN))
        .when(bucket.lt(validationEnd), lit(VALIDATION))
        .otherwise(lit(TEST));
  }
}

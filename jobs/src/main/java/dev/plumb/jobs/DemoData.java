package dev.plumb.jobs;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.date_add;
import static org.apache.spark.sql.functions.element_at;
import static org.apache.spark.sql.functions.exp;
import static org.apache.spark.sql.functions.floor;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.log1p;
import static org.apache.spark.sql.functions.pmod;
import static org.apache.spark.sql.functions.round;
import static org.apache.spark.sql.functions.to_date;
import static org.apache.spark.sql.functions.when;
import static org.apache.spark.sql.functions.xxhash64;

import dev.plumb.features.io.JsonFiles;
import dev.plumb.features.io.Locations;
import dev.plumb.features.io.Log;
import dev.plumb.features.io.Storage;
import dev.plumb.features.io.Storages;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The sample dataset of {@code ./plumb demo}: card transactions with a rare fraud label (about 5%
 * positives), numeric and categorical columns, sharded as Parquet in {@code event_date=} partitions
 * (about one part file each), plus a handful of dirty rows that ingest must quarantine. Every value
 * is a hash of (seed, row id), so the data is identical on every machine.
 */
final class DemoData {

  static final List<String> COUNTRIES = List.of("BR", "DE", "FR", "GB", "IN", "US");
  static final List<String> CHANNELS = List.of("app", "store", "web");
  private static final String MARKER = "_PLUMB_DEMO";

  private DemoData() {}

  /** A uniform number in [0, 1) from (seed, stream, id). */
  private static Column uniform(long seed, int stream) {
    return pmod(xxhash64(lit(seed * 1000 + stream), col("id")), lit(1_000_000L))
        .cast("double")
        .divide(1_000_000.0);
  }

  /** The clean part of the dataset, before partitioning. */
  static Dataset<Row> generate(SparkSession spark, long rows, int days, long seed) {
    Column country =
        element_at(
            org.apache.spark.sql.functions.array(
                COUNTRIES.stream().map(c -> lit(c)).toArray(Column[]::new)),
            floor(uniform(seed, 5).multiply(COUNTRIES.size())).cast("int").plus(1));
    Column channel =
        element_at(
            org.apache.spark.sql.functions.array(
                CHANNELS.stream().map(c -> lit(c)).toArray(Column[]::new)),
            floor(uniform(seed, 6).multiply(CHANNELS.size())).cast("int").plus(1));
    Dataset<Row> base =
        spark
            .range(0, rows, 1, 4)
            .toDF()
            .withColumn(
                "event_date",
                date_add(to_date(lit("2026-10-01")), pmod(col("id"), lit(days)).cast("int"))
                    .cast("string"))
            .withColumn("amount", round(exp(uniform(seed, 1).multiply(6)), 2))
            .withColumn("age", floor(uniform(seed, 2).multiply(62)).plus(18).cast("int"))
            .withColumn("tenure_days", floor(uniform(seed, 3).multiply(3650)).cast("int"))
            .withColumn(
                "num_txn_30d",
                floor(uniform(seed, 4).multiply(uniform(seed, 4)).multiply(60)).cast("int"))
            .withColumn("country", country)
            .withColumn("channel", channel);
    Column logit =
        lit(-4.1)
            .plus(log1p(col("amount")).minus(3).multiply(0.55))
            .plus(col("age").minus(45).multiply(-0.025))
            .plus(col("tenure_days").multiply(-0.0004))
            .plus(col("num_txn_30d").multiply(0.035))
            .plus(when(col("channel").equalTo("web"), 1.0).otherwise(0.0))
            .plus(when(col("country").equalTo("BR"), 0.7).otherwise(0.0))
            .plus(when(col("country").equalTo("DE"), -0.4).otherwise(0.0));
    Column probability = lit(1.0).divide(lit(1.0).plus(exp(logit.multiply(-1))));
    return base.withColumn("label", when(uniform(seed, 7).lt(probability), 1).otherwise(0))
        .select(
            "id",
            "amount",
            "age",
            "tenure_days",
            "num_txn_30d",
            "country",
            "channel",
            "label",
            "event_date");
  }

  /** Rows that break the demo contract in known ways (and one that only looks dirty). */
  static Dataset<Row> dirtyRows(SparkSession spark, long firstId) {
    StructType schema =
        new StructType()
            .add("id", DataTypes.LongType)
            .add("amount", DataTypes.DoubleType)
            .add("age", DataTypes.IntegerType)
            .add("tenure_days", DataTypes.IntegerType)
            .add("num_txn_30d", DataTypes.IntegerType)
            .add("country", DataTypes.StringType)
            .add("channel", DataTypes.StringType)
            .add("label", DataTypes.IntegerType)
            .add("event_date", DataTypes.StringType);
    List<Row> rows =
        List.of(
            RowFactory.create(firstId, 12.5, null, 100, 3, "US", "web", 0, "2026-10-01"),
            RowFactory.create(firstId + 1, -5.0, 30, 100, 3, "US", "web", 0, "2026-10-02"),
            RowFactory.create(firstId + 2, Double.NaN, 30, 100, 3, "DE", "app", 0, "2026-10-03"),
            RowFactory.create(firstId + 3, 20.0, 30, 100, 3, "XX", "app", 0, "2026-10-04"),
            RowFactory.create(firstId + 4, 20.0, 30, 100, 3, "FR", "app", 2, "2026-10-05"),
            RowFactory.create(firstId + 5, 20.0, 250, 100, 3, "FR", "fax", 1, "2026-10-06"),
            RowFactory.create(firstId + 6, 20.0, 41, 100, 3, "NULL", "store", 0, "2026-10-07"),
            // A duplicated key, as from a batch written twice.
            RowFactory.create(42L, 20.0, 41, 100, 3, "US", "store", 0, "2026-10-08"));
    return spark.createDataFrame(rows, schema);
  }

  /**
   * Writes the dataset under {@code path} unless a complete copy with the same parameters is there.
   * Returns true when it wrote.
   */
  static boolean writeIfMissing(SparkSession spark, String path, long rows, int days, long seed) {
    String marker = rows + "/" + days + "/" + seed;
    String markerFile = Locations.join(path, MARKER);
    Storage storage = Storages.of(spark);
    try {
      if (storage.isFile(markerFile) && storage.readText(markerFile).trim().equals(marker)) {
        Log.info("demo: sample dataset already at " + path);
        return false;
      }
    } catch (java.io.UncheckedIOException e) {
      // unreadable marker: regenerate
    }
    Log.info(String.format("demo: writing %,d rows in %d date partitions to %s", rows, days, path));
    generate(spark, rows, days, seed)
        .union(dirtyRows(spark, rows))
        .repartition(days * 2, col("event_date"), pmod(col("id"), lit(2)))
        .write()
        .mode("overwrite")
        .partitionBy("event_date")
        .parquet(path);
    JsonFiles.writeText(markerFile, marker);
    return true;
  }
}

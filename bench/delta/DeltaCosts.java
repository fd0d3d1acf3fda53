import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.sum;

import dev.plumb.features.io.SparkSql;
import java.util.Arrays;
import org.apache.spark.sql.DataFrameWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Two of Delta's costs, measured in one warm JVM (local[2], as the tests run Spark), variants
 * taken in turn each round; round 0 pays the JVM's warm-up, compare the later rounds.
 *
 * <pre>
 * java $(cat jobs/target/dist/jvm.options) -Xmx4g -cp "jobs/target/dist/lib/*" \
 *   bench/delta/DeltaCosts.java write-stats TABLE OUT_DIR ROUNDS COLUMN[,COLUMN...]
 * java $(cat jobs/target/dist/jvm.options) -Xmx4g -cp "jobs/target/dist/lib/*" \
 *   bench/delta/DeltaCosts.java query-planning FEATURE_TABLE ROUNDS [key=value ...]
 * </pre>
 *
 * <ul>
 *   <li>{@code write-stats}: reads a Delta table and writes it again as new tables with Delta's
 *       default per-file statistics (the first 32 columns), none ({@code
 *       delta.dataSkippingNumIndexedCols=0}) and the listed columns only ({@code
 *       delta.dataSkippingStatsColumns}).
 *   <li>{@code query-planning}: the same aggregation over the validation rows of a feature table,
 *       through Delta and over the same Parquet files (resolved through Delta, timed apart);
 *       {@code key=value} arguments set Spark or Delta confs.
 * </ul>
 */
public class DeltaCosts {
  public static void main(String[] args) {
    SparkSession spark =
        SparkSession.builder()
            .master("local[2]")
            .appName("delta-costs")
            .config("spark.ui.enabled", "false")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.sql.shuffle.partitions", "8")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
            .config(
                "spark.sql.catalog.spark_catalog",
                "org.apache.spark.sql.delta.catalog.DeltaCatalog")
            .getOrCreate();
    spark.sparkContext().setLogLevel("ERROR");
    switch (args[0]) {
      case "write-stats" -> writeStats(spark, args[1], args[2], Integer.parseInt(args[3]), args[4]);
      case "query-planning" ->
          queryPlanning(
              spark, args[1], Integer.parseInt(args[2]), Arrays.copyOfRange(args, 3, args.length));
      default -> throw new IllegalArgumentException("write-stats or query-planning, not " + args[0]);
    }
    spark.stop();
  }

  static void writeStats(
      SparkSession spark, String table, String outDir, int rounds, String key) {
    Dataset<Row> source = spark.read().format("delta").load(table);
    String[][] variants = {
      {"default"},
      {"none", "delta.dataSkippingNumIndexedCols", "0"},
      {"listed", "delta.dataSkippingStatsColumns", quoted(key)}
    };
    for (int r = 0; r < rounds; r++) {
      for (String[] v : variants) {
        long t = System.nanoTime();
        DataFrameWriter<Row> w = source.write().format("delta").mode("errorifexists");
        if (v.length > 1) {
          w = w.option(v[1], v[2]);
        }
        w.save(outDir + "/" + v[0] + "-" + r);
        System.out.printf("round %d statistics %-8s %.2f s%n", r, v[0], seconds(t));
      }
    }
  }

  static void queryPlanning(SparkSession spark, String table, int rounds, String[] confs) {
    for (String c : confs) {
      String[] kv = c.split("=", 2);
      spark.conf().set(kv[0], kv[1]);
    }
    for (int r = 0; r < rounds; r++) {
      long t = System.nanoTime();
      spark.read().format("delta").load(table)
          .filter(col("split").equalTo("validation")).agg(sum("amount")).first();
      double delta = seconds(t);
      t = System.nanoTime();
      String[] files = spark.read().format("delta").load(table).inputFiles();
      double resolve = seconds(t);
      t = System.nanoTime();
      spark.read().parquet(files)
          .filter(col("split").equalTo("validation")).agg(sum("amount")).first();
      System.out.printf(
          "round %d through Delta %.3f s | files resolved %.3f s | over the Parquet files %.3f s%n",
          r, delta, resolve, seconds(t));
    }
  }

  /** Comma-separated column names, each backquoted as Plumb does. */
  static String quoted(String columns) {
    return String.join(
        ",", Arrays.stream(columns.split(",")).map(c -> SparkSql.quoted(c.trim())).toList());
  }

  static double seconds(long start) {
    return (System.nanoTime() - start) / 1e9;
  }
}

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.sum;

import org.apache.spark.sql.SparkSession;

/**
 * What one query over a Delta table pays for its file planning: the same aggregation over one
 * split of a feature table, through Delta and over the same Parquet files (resolved once through
 * Delta), in turn, in one warm JVM. Extra arguments {@code key=value} set Spark or Delta confs.
 *
 * <pre>
 * java $(cat jobs/target/dist/jvm.options) -Xmx4g -cp "jobs/target/dist/lib/*" \
 *   bench/delta/QueryPlanning.java FEATURE_TABLE ROUNDS [key=value ...]
 * </pre>
 */
public class QueryPlanning {
  public static void main(String[] args) {
    SparkSession spark =
        SparkSession.builder()
            .master("local[2]")
            .appName("query-planning")
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
    for (int i = 2; i < args.length; i++) {
      String[] kv = args[i].split("=", 2);
      spark.conf().set(kv[0], kv[1]);
    }
    String table = args[0];
    for (int r = 0; r < Integer.parseInt(args[1]); r++) {
      long t = System.nanoTime();
      spark.read().format("delta").load(table)
          .filter(col("split").equalTo("validation")).agg(sum("amount")).first();
      double delta = (System.nanoTime() - t) / 1e9;
      t = System.nanoTime();
      String[] files = spark.read().format("delta").load(table).inputFiles();
      double resolve = (System.nanoTime() - t) / 1e9;
      t = System.nanoTime();
      spark.read().parquet(files)
          .filter(col("split").equalTo("validation")).agg(sum("amount")).first();
      double parquet = (System.nanoTime() - t) / 1e9;
      System.out.printf(
          "round %d through Delta %.3f s | its files resolved %.3f s | over the Parquet files %.3f s%n",
          r, delta, resolve, parquet);
    }
    spark.stop();
  }
}

import java.io.File;
import java.util.Objects;
import org.apache.spark.sql.DataFrameWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * What Delta's per-file statistics cost a write: reads a Delta table and writes it again as new
 * Delta tables, in turn (one warm JVM, rounds interleaved): Delta's default statistics (the first
 * 32 columns), none ({@code delta.dataSkippingNumIndexedCols=0}) and the key column only ({@code
 * delta.dataSkippingStatsColumns}). Round 0 pays the JVM's warm-up; compare the later rounds.
 *
 * <pre>
 * java $(cat jobs/target/dist/jvm.options) -Xmx4g -cp "jobs/target/dist/lib/*" \
 *   bench/delta/WriteStats.java TABLE OUT_DIR ROUNDS KEY_COLUMN
 * </pre>
 */
public class WriteStats {
  public static void main(String[] args) {
    SparkSession spark = Local.session("write-stats");
    Dataset<Row> source = spark.read().format("delta").load(args[0]);
    int rounds = Integer.parseInt(args[2]);
    String[][] variants = {
      {"default"},
      {"none", "delta.dataSkippingNumIndexedCols", "0"},
      {"key", "delta.dataSkippingStatsColumns", "`" + args[3] + "`"}
    };
    for (int r = 0; r < rounds; r++) {
      for (String[] v : variants) {
        String out = args[1] + "/" + v[0] + "-" + r;
        long t = System.nanoTime();
        DataFrameWriter<Row> w = source.write().format("delta").mode("errorifexists");
        if (v.length > 1) {
          w = w.option(v[1], v[2]);
        }
        w.save(out);
        System.out.printf(
            "round %d statistics %-8s %.2f s%n", r, v[0], (System.nanoTime() - t) / 1e9);
        Objects.requireNonNull(new File(out).list());
      }
    }
    spark.stop();
  }
}

/** The session the benchmarks here use: local[2], like the tests'. */
class Local {
  static SparkSession session(String name) {
    SparkSession spark =
        SparkSession.builder()
            .master("local[2]")
            .appName(name)
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
    return spark;
  }
}

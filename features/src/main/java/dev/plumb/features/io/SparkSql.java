package dev.plumb.features.io;

import static org.apache.spark.sql.functions.col;

import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Observation;
import org.apache.spark.sql.Row;

/** Small Spark SQL helpers every stage uses. */
public final class SparkSql {

  private SparkSql() {}

  /** The column named {@code name} exactly, whatever it holds (dots, spaces, backticks). */
  public static Column column(String name) {
    return col(quoted(name));
  }

  /** {@code name} as a backquoted SQL identifier. */
  public static String quoted(String name) {
    return "`" + name.replace("`", "``") + "`";
  }

  /**
   * The Delta table property (a writer option when the table is created) listing the columns whose
   * min, max and null count each data file records, comma-separated; Delta's default is the first
   * 32 columns.
   */
  public static final String STATS_COLUMNS = "delta.dataSkippingStatsColumns";

  /**
   * The values an {@link Observation} collected, once the action that carried it has run.
   *
   * @param job what was running, for the message when the wait is interrupted
   */
  public static Map<String, Object> observed(Observation observation, String job) {
    try {
      return observation.getAsJava();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Cannot finish " + job + ": interrupted", e);
    }
  }

  /**
   * Writes {@code rows} as the Delta table at {@code table}, replacing the table that is there (its
   * schema too). A table that does not exist yet is created with mode {@code errorifexists} instead
   * of {@code overwrite}: Delta's overwrite lists the files it replaces after the write job (two
   * Spark queries over the empty snapshot of a new table, 0.6-3 s of driver time per write in a
   * 1M-row pipeline), and a table created by another writer in the meantime then fails the write,
   * naming the path, instead of being replaced.
   *
   * @param options writer options ({@code userMetadata}, ...), may be empty
   */
  public static void replaceDelta(Dataset<Row> rows, String table, Map<String, String> options) {
    boolean exists = Storages.of(rows.sparkSession()).exists(Locations.join(table, "_delta_log"));
    rows.write()
        .format("delta")
        .mode(exists ? "overwrite" : "errorifexists")
        .option("overwriteSchema", "true")
        .options(options)
        .save(table);
  }
}

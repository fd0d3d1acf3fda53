package dev.plumb.features.io;

import static org.apache.spark.sql.functions.col;

import io.delta.tables.DeltaTable;
import java.util.Arrays;
import java.util.Map;
import java.util.regex.Pattern;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Observation;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

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

  /** Characters Hadoop's path globbing expands; a path holding one is not read as a file name. */
  private static final Pattern GLOB = Pattern.compile("[{}\\[\\]*?\\\\]");

  /**
   * The rows of the latest version of the Delta table at {@code table} that {@code filter} keeps,
   * read as plain Parquet from the data files Delta leaves in for the filter (its file statistics
   * skip the others), for a table read by several queries: Delta plans every query on a table again
   * (a Spark job over the table's state that filters its files, 0.3-0.6 s of driver time each), a
   * Parquet scan of known files plans once. One Delta planning here, for the file list.
   *
   * <p>Only where the files hold exactly the table's rows: reader protocol version 1 (no deletion
   * vectors, no column mapping) and no partition columns (their values live in the log, not the
   * files). Otherwise, or when a file's path holds a glob character that Parquet's reader would
   * expand, the Delta scan itself. For tables that do not change while they are read (a feature
   * set's table: written once under its version): the files are the version read now.
   */
  public static Dataset<Row> scanDelta(SparkSession spark, String table, Column filter) {
    Dataset<Row> delta = spark.read().format("delta").load(table).filter(filter);
    Row detail =
        DeltaTable.forPath(spark, table)
            .detail()
            .select("minReaderVersion", "partitionColumns")
            .first();
    if (detail.getInt(0) != 1 || !detail.getList(1).isEmpty()) {
      return delta;
    }
    String[] files = delta.inputFiles();
    if (files.length == 0 || Arrays.stream(files).anyMatch(f -> GLOB.matcher(f).find())) {
      return delta;
    }
    return spark.read().schema(delta.schema()).parquet(files).filter(filter);
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

package dev.plumb.features.io;

import static org.apache.spark.sql.functions.col;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.delta.tables.DeltaTable;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Observation;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.delta.DeltaLog;
import org.apache.spark.sql.delta.actions.AddFile;
import org.apache.spark.sql.delta.actions.Metadata;
import org.apache.spark.sql.delta.actions.Protocol;
import org.apache.spark.sql.delta.actions.RemoveFile;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.StructType;
import scala.Option;

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
    return scan(spark, table, filesHoldTheRows(spark, table), filter);
  }

  /**
   * Whether the data files of the Delta table at {@code table} hold exactly its rows: reader
   * protocol version 1 and no partition columns ({@code DESCRIBE DETAIL}, one Spark job).
   */
  private static boolean filesHoldTheRows(SparkSession spark, String table) {
    Row detail =
        DeltaTable.forPath(spark, table)
            .detail()
            .select("minReaderVersion", "partitionColumns")
            .first();
    return detail.getInt(0) == 1 && detail.getList(1).isEmpty();
  }

  /** {@link #scanDelta} once {@link #filesHoldTheRows} has said whether the files are the rows. */
  private static Dataset<Row> scan(
      SparkSession spark, String table, boolean filesHoldTheRows, Column filter) {
    Dataset<Row> delta = spark.read().format("delta").load(table).filter(filter);
    if (!filesHoldTheRows) {
      return delta;
    }
    String[] files = delta.inputFiles();
    if (files.length == 0 || Arrays.stream(files).anyMatch(f -> GLOB.matcher(f).find())) {
      return delta;
    }
    return spark.read().schema(delta.schema()).parquet(files).filter(filter);
  }

  /**
   * The rows of the Delta table at {@code table} whose string column {@code column} equals each of
   * {@code values}, one dataset per value, as {@link #scanDelta} reads them. A table of one commit
   * (version 0: a feature set's table, written once) whose protocol lets its files hold exactly its
   * rows (reader version 1, no partition columns) is read without a Spark job of Delta's: that
   * commit's actions, read on the driver, are the whole table (its schema, its files), and each
   * value keeps the files whose statistics on {@code column} do not rule it out, the skipping
   * Delta's own scan does for such a filter. A cold {@code plumb train} otherwise spends seconds in
   * Delta's snapshot, describe and file-filtering jobs before its first row is read. Any other
   * table: {@link #scanDelta} per value.
   */
  public static List<Dataset<Row>> scanDeltaWhereEquals(
      SparkSession spark, String table, String column, List<String> values) {
    List<Dataset<Row>> out = scanSingleCommit(spark, table, column, values);
    if (out != null) {
      return out;
    }
    // The table is described once for every value.
    boolean files = filesHoldTheRows(spark, table);
    out = new ArrayList<>();
    for (String v : values) {
      out.add(scan(spark, table, files, column(column).equalTo(v)));
    }
    return out;
  }

  /**
   * {@link #scanDeltaWhereEquals} from the table's only commit: null when the table has more than
   * one commit, or its files alone are not its rows (reader version above 1, partition columns, a
   * glob character in a path), or {@code column} is not a string column.
   */
  public static List<Dataset<Row>> scanSingleCommit(
      SparkSession spark, String table, String column, List<String> values) {
    if (GLOB.matcher(table).find()) {
      return null;
    }
    DeltaLog log = DeltaLog.forTable(spark, table);
    if (log.update(false, Option.empty(), Option.empty()).version() != 0) {
      return null;
    }
    Protocol protocol = null;
    Metadata metadata = null;
    List<AddFile> adds = new ArrayList<>();
    for (Object action : commitActions(log, 0)) {
      if (action instanceof Protocol p) {
        protocol = p;
      } else if (action instanceof Metadata m) {
        metadata = m;
      } else if (action instanceof AddFile add) {
        adds.add(add);
      } else if (action instanceof RemoveFile) {
        return null;
      }
    }
    if (protocol == null
        || metadata == null
        || protocol.minReaderVersion() != 1
        || !metadata.partitionColumns().isEmpty()) {
      return null;
    }
    StructType schema = metadata.schema();
    if (!Arrays.asList(schema.fieldNames()).contains(column)
        || !(schema.apply(column).dataType() instanceof StringType)) {
      return null;
    }
    List<String> paths = new ArrayList<>();
    List<JsonNode> stats = new ArrayList<>();
    for (AddFile add : adds) {
      if (add.deletionVector() != null) {
        return null;
      }
      org.apache.hadoop.fs.Path path;
      try {
        path = new org.apache.hadoop.fs.Path(new URI(add.path()));
      } catch (URISyntaxException | IllegalArgumentException e) {
        return null;
      }
      if (!path.isAbsolute()) {
        path = new org.apache.hadoop.fs.Path(log.dataPath(), path);
      }
      String file = path.toString();
      if (GLOB.matcher(file).find()) {
        return null;
      }
      paths.add(file);
      stats.add(fileStats(add.stats()));
    }
    List<Dataset<Row>> out = new ArrayList<>();
    for (String v : values) {
      List<String> kept = new ArrayList<>();
      for (int i = 0; i < paths.size(); i++) {
        if (mayHold(stats.get(i), column, v)) {
          kept.add(paths.get(i));
        }
      }
      Column filter = column(column).equalTo(v);
      out.add(
          kept.isEmpty()
              ? spark.createDataFrame(List.<Row>of(), schema)
              : spark.read().schema(schema).parquet(kept.toArray(new String[0])).filter(filter));
    }
    return out;
  }

  /**
   * The actions of commit {@code version} of a Delta table, read through Delta's log API on the
   * driver (no Spark job).
   */
  public static List<Object> commitActions(DeltaLog log, long version) {
    List<Object> out = new ArrayList<>();
    scala.collection.Iterator<?> commits = log.getChanges(version, version, true);
    while (commits.hasNext()) {
      scala.collection.Iterator<?> actions =
          ((scala.collection.Iterable<?>) ((scala.Tuple2<?, ?>) commits.next())._2()).iterator();
      while (actions.hasNext()) {
        out.add(actions.next());
      }
    }
    return out;
  }

  private static final ObjectMapper JSON = new ObjectMapper();

  /** A data file's statistics (Delta's JSON), or null when it has none or they do not parse. */
  private static JsonNode fileStats(String stats) {
    if (stats == null || stats.isBlank()) {
      return null;
    }
    try {
      return JSON.readTree(stats);
    } catch (java.io.IOException e) {
      return null;
    }
  }

  /**
   * False only when a file's statistics prove it holds no row whose string {@code column} equals
   * {@code value}: no rows, every value of the column null, or {@code value} outside its [min,
   * max]. The bounds are compared only when they and the value are ASCII and shorter than the 32
   * characters at which Delta truncates string statistics (then Java's order is Delta's).
   */
  static boolean mayHold(JsonNode stats, String column, String value) {
    if (stats == null) {
      return true;
    }
    JsonNode records = stats.get("numRecords");
    if (records != null && records.isIntegralNumber()) {
      long rows = records.asLong();
      if (rows == 0) {
        return false;
      }
      JsonNode nulls = stats.path("nullCount").get(column);
      if (nulls != null && nulls.isIntegralNumber() && nulls.asLong() >= rows) {
        return false;
      }
    }
    JsonNode min = stats.path("minValues").get(column);
    JsonNode max = stats.path("maxValues").get(column);
    if (min == null || max == null || !min.isTextual() || !max.isTextual()) {
      return true;
    }
    String lo = min.asText();
    String hi = max.asText();
    if (!comparable(lo) || !comparable(hi) || !comparable(value)) {
      return true;
    }
    return value.compareTo(lo) >= 0 && value.compareTo(hi) <= 0;
  }

  private static boolean comparable(String s) {
    return s.length() < 32 && s.chars().allMatch(c -> c < 0x80);
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

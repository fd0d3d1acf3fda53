package dev.plumb.features.ingest;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.to_timestamp;

import dev.plumb.features.FeatureErrors;
import io.delta.tables.DeltaTable;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;

/** Reads a Delta table by path: the latest version, or one pinned by version or timestamp. */
public final class DeltaSource {

  private DeltaSource() {}

  /**
   * A Delta input: the rows of one table version and which version that is.
   *
   * @param data the rows
   * @param tableId the table's id (stable across versions)
   * @param version the version read
   */
  public record Input(Dataset<Row> data, String tableId, long version) {}

  /**
   * Reads {@code path}; {@code version >= 0} pins a version, else a non-blank {@code timestamp}
   * pins the last version committed at or before it, else the latest is read.
   */
  public static Input read(SparkSession spark, String path, long version, String timestamp) {
    if (!DeltaTable.isDeltaTable(spark, path)) {
      throw FeatureErrors.missingInput(path, "is not a Delta table (no _delta_log)");
    }
    DeltaTable table = DeltaTable.forPath(spark, path);
    String id = table.detail().select("id").first().getString(0);
    long pinned;
    if (version >= 0) {
      pinned = version;
    } else if (timestamp != null && !timestamp.isBlank()) {
      Row r =
          table
              .history()
              .filter(col("timestamp").leq(to_timestamp(lit(timestamp))))
              .agg(max("version"))
              .first();
      if (r.isNullAt(0)) {
        throw FeatureErrors.invalidSpec(
            "read Delta table " + path + " as of " + timestamp,
            "the table has no version committed at or before that time",
            "use a later ingest.delta_timestamp or a version");
      }
      pinned = r.getLong(0);
    } else {
      pinned = table.history(1).select("version").first().getLong(0);
    }
    Dataset<Row> data = spark.read().format("delta").option("versionAsOf", pinned).load(path);
    return new Input(data, id, pinned);
  }

  /** The contract type names of a Delta table's columns, as a one-entry file list for planning. */
  public static SourceFile asSourceFile(Input input, String path) {
    Map<String, String> types = new LinkedHashMap<>();
    for (StructField f : input.data().schema().fields()) {
      types.put(f.name(), typeName(f.dataType()));
    }
    return new SourceFile(path, path + "@v" + input.version(), 0, 0, Map.of(), -1, types, null);
  }

  static String typeName(DataType t) {
    for (ColumnType c : ColumnType.values()) {
      if (c.sparkType().equals(t)) {
        return c.toString();
      }
    }
    return t.equals(DataTypes.ShortType) ? "int16" : t.simpleString();
  }
}

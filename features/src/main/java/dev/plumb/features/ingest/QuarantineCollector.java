package dev.plumb.features.ingest;

import dev.plumb.features.io.SparkSql;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.TaskContext;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.MapType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.AccumulatorV2;

/**
 * Gathers the quarantined rows while the clean rows are written, so that few bad rows cost no
 * second pass over the data. Each task adds its bad rows (up to {@code limit}) and counts all of
 * them; the driver keeps one result per partition (a retried or speculative attempt replaces the
 * earlier one, it does not add to it). Once more than {@code limit} rows are held, the rows are
 * dropped and {@link #overflowed()} says so: the caller then reads the bad rows in a second pass.
 *
 * <p>A row crosses into Java with its strings as their bytes ({@link #carried}): turning Spark's
 * UTF-8 strings into Java strings would replace bytes that are not valid UTF-8 with U+FFFD, and the
 * quarantine keeps the values exactly as the files store them. {@link #dataFrame} turns them back.
 */
final class QuarantineCollector extends AccumulatorV2<Row, QuarantineCollector.Parts> {

  private static final long serialVersionUID = 1L;

  /** One partition's bad rows: how many there were and, unless too many, the rows themselves. */
  record Part(long count, List<Row> rows, boolean overflowed) implements java.io.Serializable {}

  /** The parts received, by partition, and whether the rows were dropped. */
  static final class Parts implements java.io.Serializable {
    private static final long serialVersionUID = 1L;
    final Map<Integer, Part> byPartition = new HashMap<>();
    boolean overflowed;
  }

  private final int limit;
  private Parts parts = new Parts();

  QuarantineCollector(int limit) {
    this.limit = limit;
  }

  @Override
  public boolean isZero() {
    return parts.byPartition.isEmpty() && !parts.overflowed;
  }

  @Override
  public AccumulatorV2<Row, Parts> copy() {
    QuarantineCollector c = new QuarantineCollector(limit);
    c.parts.byPartition.putAll(parts.byPartition);
    c.parts.overflowed = parts.overflowed;
    return c;
  }

  @Override
  public void reset() {
    parts = new Parts();
  }

  @Override
  public void add(Row row) {
    TaskContext task = TaskContext.get();
    int partition = task == null ? -1 : task.partitionId();
    Part p = parts.byPartition.get(partition);
    if (p == null) {
      p = new Part(0, new ArrayList<>(), false);
    }
    boolean keep = !p.overflowed() && p.rows().size() < limit;
    if (keep) {
      p.rows().add(row);
    }
    parts.byPartition.put(partition, new Part(p.count() + 1, p.rows(), !keep));
  }

  @Override
  public void merge(AccumulatorV2<Row, Parts> other) {
    Parts o = other.value();
    parts.byPartition.putAll(o.byPartition);
    parts.overflowed |= o.overflowed;
    long held = 0;
    for (Part p : parts.byPartition.values()) {
      parts.overflowed |= p.overflowed();
      held += p.rows().size();
    }
    if (parts.overflowed || held > limit) {
      parts.overflowed = true;
      parts.byPartition.replaceAll((k, p) -> new Part(p.count(), List.of(), true));
    }
  }

  @Override
  public Parts value() {
    return parts;
  }

  /** True when the bad rows were too many to hold: read them again instead. */
  boolean overflowed() {
    return parts.overflowed;
  }

  /** Bad rows seen, over all partitions. */
  long count() {
    return parts.byPartition.values().stream().mapToLong(Part::count).sum();
  }

  /**
   * {@code row} (a struct over {@code rows}) as the collector receives it: every string, at any
   * depth, cast to binary, which keeps its bytes as they are.
   */
  static Column carried(Dataset<Row> rows, Column row) {
    return row.cast(carriedType(rows.select(row).schema().fields()[0].dataType()));
  }

  /**
   * The bad rows held, as a DataFrame of {@code type} (the type of the row given to {@link
   * #carried}): the strings are made from the very bytes that were read.
   */
  Dataset<Row> dataFrame(SparkSession spark, StructType type) {
    Dataset<Row> carried = spark.createDataFrame(rows(), (StructType) carriedType(type));
    Column[] columns = new Column[type.fields().length];
    for (int i = 0; i < columns.length; i++) {
      StructField f = type.fields()[i];
      Column c = SparkSql.column(f.name());
      columns[i] =
          f.dataType().equals(carriedType(f.dataType())) ? c : c.cast(f.dataType()).as(f.name());
    }
    return carried.select(columns);
  }

  /** {@code type} with every string type, at any depth, replaced by binary. */
  static DataType carriedType(DataType type) {
    if (type.equals(DataTypes.StringType)) {
      return DataTypes.BinaryType;
    }
    if (type instanceof ArrayType a) {
      return DataTypes.createArrayType(carriedType(a.elementType()), a.containsNull());
    }
    if (type instanceof MapType m) {
      return DataTypes.createMapType(
          carriedType(m.keyType()), carriedType(m.valueType()), m.valueContainsNull());
    }
    if (type instanceof StructType s) {
      StructField[] fields = new StructField[s.fields().length];
      for (int i = 0; i < fields.length; i++) {
        StructField f = s.fields()[i];
        fields[i] =
            new StructField(f.name(), carriedType(f.dataType()), f.nullable(), f.metadata());
      }
      return new StructType(fields);
    }
    return type;
  }

  /** The bad rows held (all of them unless {@link #overflowed()}). */
  List<Row> rows() {
    List<Row> out = new ArrayList<>();
    parts.byPartition.keySet().stream()
        .sorted()
        .forEach(k -> out.addAll(parts.byPartition.get(k).rows()));
    return out;
  }
}

package dev.plumb.jobs;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.TaskContext;
import org.apache.spark.sql.Row;
import org.apache.spark.util.AccumulatorV2;

/**
 * Gathers the quarantined rows while the clean rows are written, so that few bad rows cost no
 * second pass over the data. Each task adds its bad rows (up to {@code limit}) and counts all of
 * them; the driver keeps one result per partition (a retried or speculative attempt replaces the
 * earlier one, it does not add to it). Once more than {@code limit} rows are held, the rows are
 * dropped and {@link #overflowed()} says so: the caller then reads the bad rows in a second pass.
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

  /** The bad rows held (all of them unless {@link #overflowed()}). */
  List<Row> rows() {
    List<Row> out = new ArrayList<>();
    parts.byPartition.keySet().stream()
        .sorted()
        .forEach(k -> out.addAll(parts.byPartition.get(k).rows()));
    return out;
  }
}

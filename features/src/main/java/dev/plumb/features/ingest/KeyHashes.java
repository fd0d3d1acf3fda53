package dev.plumb.features.ingest;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.spark.rdd.InputFileBlockHolder;
import org.apache.spark.sql.Row;
import org.apache.spark.unsafe.types.UTF8String;

/**
 * Finds repeated keys without a shuffle: each partition sorts its own 64-bit key hashes, per input
 * file ({@link #sortedChunks}), the driver merges the sorted arrays ({@link #repeated}), and the
 * few rows whose hash repeats are compared by their keys ({@link #losers}).
 */
final class KeyHashes {

  private KeyHashes() {}

  /** One file's key hashes within a partition, sorted; {@code file} is empty when unknown. */
  record Chunk(String file, long[] sorted) implements java.io.Serializable {}

  /**
   * The partition's hashes, sorted, one chunk per input file (a file's rows come together; the file
   * being read is the one Spark's scan has open, as for {@code input_file_name()}).
   */
  static Iterator<Chunk> sortedChunks(Iterator<Long> hashes) {
    List<Chunk> chunks = new ArrayList<>();
    long[] out = new long[1024];
    int n = 0;
    UTF8String file = null;
    while (hashes.hasNext()) {
      long h = hashes.next();
      UTF8String current = InputFileBlockHolder.getInputFilePath();
      if (current != file && n > 0) {
        chunks.add(chunk(file, out, n));
        n = 0;
      }
      file = current;
      if (n == out.length) {
        out = Arrays.copyOf(out, out.length * 2);
      }
      out[n++] = h;
    }
    if (n > 0) {
      chunks.add(chunk(file, out, n));
    }
    return chunks.iterator();
  }

  private static Chunk chunk(UTF8String file, long[] values, int n) {
    long[] sorted = Arrays.copyOf(values, n);
    Arrays.sort(sorted);
    return new Chunk(file == null ? "" : file.toString(), sorted);
  }

  /** The files whose chunks hold any of the (sorted) hashes; an empty name when one is unknown. */
  static java.util.Set<String> filesHolding(List<Chunk> chunks, long[] hashes) {
    java.util.Set<String> files = new java.util.TreeSet<>();
    for (Chunk c : chunks) {
      if (files.contains(c.file())) {
        continue;
      }
      for (long h : hashes) {
        if (Arrays.binarySearch(c.sorted(), h) >= 0) {
          files.add(c.file());
          break;
        }
      }
    }
    return files;
  }

  /** How many hashes in the chunks are any of the (sorted, distinct) given ones. */
  static long occurrences(List<Chunk> chunks, long[] hashes) {
    long n = 0;
    for (Chunk c : chunks) {
      long[] a = c.sorted();
      for (long h : hashes) {
        int at = Arrays.binarySearch(a, h);
        if (at < 0) {
          continue;
        }
        int lo = at;
        while (lo > 0 && a[lo - 1] == h) {
          lo--;
        }
        int hi = at;
        while (hi + 1 < a.length && a[hi + 1] == h) {
          hi++;
        }
        n += hi - lo + 1;
      }
    }
    return n;
  }

  /** Every hash that occurs more than once across the sorted arrays, sorted and distinct. */
  static long[] repeated(List<long[]> sorted) {
    Repeats repeats = new Repeats();
    List<long[]> distinct = new ArrayList<>();
    for (long[] a : sorted) {
      distinct.add(dedupe(a, repeats));
    }
    // merge pairwise, log2(partitions) rounds of linear merges
    while (distinct.size() > 1) {
      List<long[]> next = new ArrayList<>();
      for (int i = 0; i + 1 < distinct.size(); i += 2) {
        next.add(merge(distinct.get(i), distinct.get(i + 1), repeats));
      }
      if (distinct.size() % 2 == 1) {
        next.add(distinct.get(distinct.size() - 1));
      }
      distinct = next;
    }
    long[] out = Arrays.copyOf(repeats.values, repeats.n);
    Arrays.sort(out);
    int n = 0;
    for (int i = 0; i < out.length; i++) {
      if (i == 0 || out[i] != out[i - 1]) {
        out[n++] = out[i];
      }
    }
    return Arrays.copyOf(out, n);
  }

  /** A growable list of repeated hashes (may hold a hash more than once). */
  private static final class Repeats {
    long[] values = new long[16];
    int n;

    void add(long h) {
      if (n == values.length) {
        values = Arrays.copyOf(values, n * 2);
      }
      values[n++] = h;
    }
  }

  private static long[] dedupe(long[] a, Repeats repeats) {
    long[] out = new long[a.length];
    int n = 0;
    for (int i = 0; i < a.length; i++) {
      if (n > 0 && out[n - 1] == a[i]) {
        repeats.add(a[i]);
      } else {
        out[n++] = a[i];
      }
    }
    return n == a.length ? a : Arrays.copyOf(out, n);
  }

  /** The sorted union of two sorted distinct arrays; hashes in both are repeats. */
  private static long[] merge(long[] a, long[] b, Repeats repeats) {
    long[] out = new long[a.length + b.length];
    int i = 0;
    int j = 0;
    int n = 0;
    while (i < a.length && j < b.length) {
      if (a[i] < b[j]) {
        out[n++] = a[i++];
      } else if (a[i] > b[j]) {
        out[n++] = b[j++];
      } else {
        repeats.add(a[i]);
        out[n++] = a[i++];
        j++;
      }
    }
    while (i < a.length) {
      out[n++] = a[i++];
    }
    while (j < b.length) {
      out[n++] = b[j++];
    }
    return n == out.length ? out : Arrays.copyOf(out, n);
  }

  /**
   * Given rows of (key columns..., file, row) whose key hashes repeat, the occurrences that are not
   * the first of their key by (file, row): file paths ordered by their UTF-8 bytes, as Spark orders
   * strings.
   */
  static List<Occurrence> losers(List<Row> rows, int keyColumns) {
    Map<List<Object>, List<Occurrence>> byKey = new HashMap<>();
    for (Row r : rows) {
      List<Object> key = new ArrayList<>(keyColumns);
      for (int i = 0; i < keyColumns; i++) {
        key.add(normalized(r.get(i)));
      }
      byKey
          .computeIfAbsent(key, k -> new ArrayList<>())
          .add(new Occurrence(r.getString(keyColumns), r.getLong(keyColumns + 1)));
    }
    Comparator<Occurrence> order =
        (x, y) -> {
          int c =
              Arrays.compareUnsigned(
                  x.file().getBytes(StandardCharsets.UTF_8),
                  y.file().getBytes(StandardCharsets.UTF_8));
          return c != 0 ? c : Long.compare(x.row(), y.row());
        };
    List<Occurrence> out = new ArrayList<>();
    for (List<Occurrence> group : byKey.values()) {
      if (group.size() > 1) {
        group.sort(order);
        out.addAll(group.subList(1, group.size()));
      }
    }
    out.sort(order);
    return out;
  }

  /** Key values as Spark groups them: -0.0 is 0.0, and every NaN is the same. */
  private static Object normalized(Object v) {
    if (v instanceof Double d) {
      return d.isNaN() ? Double.NaN : d == 0.0 ? 0.0 : d;
    }
    if (v instanceof Float f) {
      return f.isNaN() ? Float.NaN : f == 0.0f ? 0.0f : f;
    }
    if (v instanceof byte[] b) {
      return java.nio.ByteBuffer.wrap(b);
    }
    return v;
  }

  /** A row of a source file: its path and its index in the file. */
  public record Occurrence(String file, long row) {
    String id() {
      return file + "#" + row;
    }
  }
}

package dev.plumb.features.ingest;

import java.util.Map;

/**
 * One data file found under an input root, with what its footer says.
 *
 * @param root the input root it was found under
 * @param path the file's full path
 * @param size length in bytes
 * @param modifiedAt modification time, epoch millis
 * @param partitionValues Hive-style {@code key=value} folders between the root and the file
 * @param rows row count from the footer (-1 when unreadable)
 * @param columnTypes column name to stored type name (e.g. {@code int}, {@code string}), from the
 *     footer; empty when unreadable
 * @param error why the file cannot be read, or null
 * @param contentDigest a digest of the footer (what the file holds), "" when unreadable
 */
public record SourceFile(
    String root,
    String path,
    long size,
    long modifiedAt,
    Map<String, String> partitionValues,
    long rows,
    Map<String, String> columnTypes,
    String error,
    String contentDigest) {

  public SourceFile {
    partitionValues = Map.copyOf(partitionValues);
    columnTypes = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(columnTypes));
  }

  /** A file without a content digest (a Delta table, or a footer that cannot be read). */
  public SourceFile(
      String root,
      String path,
      long size,
      long modifiedAt,
      Map<String, String> partitionValues,
      long rows,
      Map<String, String> columnTypes,
      String error) {
    this(root, path, size, modifiedAt, partitionValues, rows, columnTypes, error, "");
  }

  /** The path below its root: the same wherever the input lives. */
  public String relativePath() {
    return path.startsWith(root) ? path.substring(root.length()) : path;
  }

  /** True when the footer could be read. */
  public boolean readable() {
    return error == null;
  }

  /** The fingerprint entry of this file. */
  public DataFingerprint.FileEntry entry() {
    return new DataFingerprint.FileEntry(relativePath(), size, contentDigest);
  }
}

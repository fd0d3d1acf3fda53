package dev.plumb.features.ingest;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;

/**
 * What exactly was read: for Parquet the sorted list of files, each with its path below the input
 * root, its size and a digest of its footer (schema, row groups, column chunk sizes and
 * statistics); for Delta the table id and version; plus the hash of the contract the data was
 * checked against. It does not depend on where the input lives (the same files on local disk, S3 or
 * HDFS give the same fingerprint) nor on modification times; any changed, added or removed file
 * changes it.
 *
 * @param kind {@code parquet} or {@code delta}
 * @param files the files read (Parquet), sorted by path; empty for Delta
 * @param tableId the Delta table id, or null
 * @param tableVersion the Delta table version, or -1
 * @param contractHash the data contract's hash, or "" when none
 */
public record DataFingerprint(
    String kind, List<FileEntry> files, String tableId, long tableVersion, String contractHash) {

  /** One file read: its path below the input root, length in bytes and content digest. */
  public record FileEntry(String path, long size, String digest) {}

  public DataFingerprint {
    files = files.stream().sorted(Comparator.comparing(FileEntry::path)).toList();
  }

  /** A Parquet fingerprint over these files. */
  public static DataFingerprint ofFiles(List<FileEntry> files, String contractHash) {
    return new DataFingerprint("parquet", files, null, -1, contractHash);
  }

  /** A Delta fingerprint of one table version. */
  public static DataFingerprint ofDelta(String tableId, long version, String contractHash) {
    return new DataFingerprint("delta", List.of(), tableId, version, contractHash);
  }

  /** The content hash: hex SHA-256 over the canonical form of this fingerprint. */
  public String hash() {
    StringBuilder canonical = new StringBuilder(kind).append('\n');
    for (FileEntry f : files) {
      canonical.append(f.path()).append('\t').append(f.size()).append('\t');
      canonical.append(f.digest()).append('\n');
    }
    canonical.append(tableId).append('\t').append(tableVersion).append('\n');
    canonical.append(contractHash);
    return sha256(canonical.toString());
  }

  /** Total bytes of the files read. */
  public long totalBytes() {
    return files.stream().mapToLong(FileEntry::size).sum();
  }

  /** The hex SHA-256 of {@code text} (UTF-8). */
  public static String sha256(String text) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      return HexFormat.of().formatHex(sha.digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}

package dev.plumb.features.io;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The port for Plumb's own files, in the spirit of Iceberg's {@code FileIO} and Delta Kernel's
 * {@code Engine}: locations are URI strings ({@code s3a://b/k}, {@code hdfs://nn/p}, {@code
 * file:/p}, {@code /p}), never rewritten.
 *
 * <p>Failures throw {@link StorageException}, whose message says what, where and how to fix.
 */
public interface Storage {

  /**
   * Fails, without touching the store, when nothing on the classpath can handle the location's
   * scheme.
   */
  void checkSupported(String location);

  /** Whether anything (file or folder) exists at {@code location}. */
  boolean exists(String location);

  /** Whether a file exists at {@code location}. */
  boolean isFile(String location);

  /** Whether a folder exists at {@code location} (on object stores: any key under it). */
  boolean isDirectory(String location);

  /** The whole file. */
  byte[] read(String location);

  /** The whole file as UTF-8 text. */
  default String readText(String location) {
    return new String(read(location), StandardCharsets.UTF_8);
  }

  /**
   * Writes the whole file so that a reader sees either the previous content or the new one, never
   * half of it (see {@link HadoopStorage#write} for how, per kind of filesystem). Creates the
   * parent folders.
   */
  void write(String location, byte[] bytes);

  /** {@link #write} of UTF-8 text. */
  default void writeText(String location, String text) {
    write(location, text.getBytes(StandardCharsets.UTF_8));
  }

  /** The entries directly under {@code folder}, sorted by name; empty when it does not exist. */
  List<Entry> list(String folder);

  /** Every file under {@code folder}, recursively, sorted by location. */
  List<Entry> listFilesRecursively(String folder);

  /** Deletes {@code location} and everything under it; false when nothing was there. */
  boolean delete(String location);

  /** One listed entry: its full location, its last path segment, and whether it is a folder. */
  record Entry(String location, String name, boolean directory, long size) {}
}

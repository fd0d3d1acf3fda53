package dev.plumb.features.io;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileContext;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Options;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.hadoop.fs.UnsupportedFileSystemException;

/**
 * {@link Storage} over Hadoop {@code FileSystem}: every scheme with a FileSystem on the classpath
 * works, with credentials and endpoints from the given Hadoop configuration (Spark's, once a
 * session exists). The local disk is one more scheme ({@code file:}, or a plain path), read and
 * written without Hadoop's {@code .crc} side files.
 */
public final class HadoopStorage implements Storage {

  /**
   * Object stores: a file written with one {@code create ... close} appears whole when the stream
   * closes (one PUT, or a multipart upload completed at close) and there is no atomic rename, so
   * files are written in place. Everywhere else a temp file is renamed over the target.
   */
  static final Set<String> OBJECT_STORES =
      Set.of("s3", "s3a", "s3n", "gs", "abfs", "abfss", "wasb", "wasbs", "oss", "cosn", "obs");

  private final Configuration conf;

  public HadoopStorage(Configuration conf) {
    this.conf = conf;
  }

  /** The Hadoop configuration this storage resolves filesystems with. */
  public Configuration configuration() {
    return conf;
  }

  private FileSystem fs(String location, String action) {
    try {
      FileSystem fs = FileSystem.get(new Path(location).toUri(), conf);
      return fs instanceof LocalFileSystem local ? local.getRaw() : fs;
    } catch (UnsupportedFileSystemException e) {
      throw unsupported(location, action, e);
    } catch (IOException | IllegalArgumentException e) {
      IOException io = e instanceof IOException i ? i : new IOException(e.getMessage(), e);
      throw new StorageException(
          "Cannot "
              + action
              + " "
              + location
              + ": "
              + e.getMessage()
              + " (check the URI, the credentials and that the bucket or host exists)",
          location,
          io);
    }
  }

  static StorageException unsupported(String location, String action, IOException e) {
    return new StorageException(
        "Cannot "
            + action
            + " "
            + location
            + ": no Hadoop FileSystem for scheme '"
            + Locations.scheme(location)
            + "' on the classpath (use s3a://, abfss://, gs://, hdfs://, dbfs:/, file: or a local"
            + " path; the local launcher carries the S3, Azure and GCS connectors, a cluster"
            + " supplies its own)",
        location,
        e);
  }

  private static StorageException failed(String action, String location, IOException e) {
    if (e instanceof UnsupportedFileSystemException u) {
      return unsupported(location, action, u);
    }
    return new StorageException(
        "Cannot " + action + " " + location + ": " + e.getMessage(), location, e);
  }

  @Override
  public void checkSupported(String location) {
    String scheme = Locations.scheme(location);
    if (scheme.isEmpty()) {
      return;
    }
    try {
      FileSystem.getFileSystemClass(scheme, conf);
    } catch (UnsupportedFileSystemException e) {
      throw unsupported(location, "use", e);
    } catch (IOException e) {
      throw failed("use", location, e);
    }
  }

  @Override
  public boolean exists(String location) {
    try {
      return fs(location, "check").exists(new Path(location));
    } catch (IOException e) {
      throw failed("check", location, e);
    }
  }

  @Override
  public boolean isFile(String location) {
    FileStatus status = status(location);
    return status != null && status.isFile();
  }

  @Override
  public boolean isDirectory(String location) {
    FileStatus status = status(location);
    return status != null && status.isDirectory();
  }

  /** The status of {@code location}, or null when nothing is there. */
  private FileStatus status(String location) {
    try {
      return fs(location, "check").getFileStatus(new Path(location));
    } catch (FileNotFoundException e) {
      return null;
    } catch (IOException e) {
      throw failed("check", location, e);
    }
  }

  @Override
  public byte[] read(String location) {
    try (InputStream in = fs(location, "read").open(new Path(location))) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw failed("read", location, e);
    }
  }

  /**
   * Object stores: written in place (the object appears whole at close; there is no atomic rename
   * to lean on). Other filesystems: written to a hidden temp file beside the target, then renamed
   * over it (atomic on POSIX and HDFS), so readers never see half a file.
   */
  @Override
  public void write(String location, byte[] bytes) {
    Path target = new Path(location);
    FileSystem fs = fs(location, "write");
    try {
      if (OBJECT_STORES.contains(Locations.scheme(fs.getUri().toString()))) {
        try (FSDataOutputStream out = fs.create(target, true)) {
          out.write(bytes);
        }
        return;
      }
      Path parent = target.getParent();
      if (parent != null) {
        fs.mkdirs(parent);
      }
      Path tmp = new Path(parent, "." + target.getName() + "." + UUID.randomUUID() + ".tmp");
      try (FSDataOutputStream out = fs.create(tmp, false)) {
        out.write(bytes);
      }
      if (!fs.rename(tmp, target)) {
        renameOver(fs, tmp, target);
      }
    } catch (IOException e) {
      throw failed("write", location, e);
    }
  }

  /** HDFS refuses to rename onto an existing file; FileContext's OVERWRITE does it atomically. */
  private void renameOver(FileSystem fs, Path tmp, Path target) throws IOException {
    try {
      FileContext.getFileContext(fs.getUri(), conf).rename(tmp, target, Options.Rename.OVERWRITE);
    } catch (UnsupportedFileSystemException e) {
      fs.delete(target, false);
      if (!fs.rename(tmp, target)) {
        fs.delete(tmp, false);
        throw new IOException("rename of " + tmp + " failed");
      }
    }
  }

  @Override
  public List<Entry> list(String folder) {
    List<Entry> out = new ArrayList<>();
    try {
      for (FileStatus s : fs(folder, "list").listStatus(new Path(folder))) {
        String name = s.getPath().getName();
        out.add(
            new Entry(
                Locations.join(folder, name), name, s.isDirectory(), s.isFile() ? s.getLen() : 0));
      }
    } catch (FileNotFoundException e) {
      return List.of();
    } catch (IOException e) {
      throw failed("list", folder, e);
    }
    out.sort(Comparator.comparing(Entry::name));
    return out;
  }

  @Override
  public List<Entry> listFilesRecursively(String folder) {
    List<Entry> out = new ArrayList<>();
    try {
      FileSystem fs = fs(folder, "list");
      Path root = new Path(folder);
      URI qualifiedRoot = fs.makeQualified(root).toUri();
      RemoteIterator<LocatedFileStatus> it = fs.listFiles(root, true);
      while (it.hasNext()) {
        LocatedFileStatus s = it.next();
        String relative = qualifiedRoot.relativize(s.getPath().toUri()).getPath();
        out.add(
            new Entry(Locations.join(folder, relative), s.getPath().getName(), false, s.getLen()));
      }
    } catch (FileNotFoundException e) {
      return List.of();
    } catch (IOException e) {
      throw failed("list", folder, e);
    }
    out.sort(Comparator.comparing(Entry::location));
    return out;
  }

  @Override
  public boolean delete(String location) {
    try {
      return fs(location, "delete").delete(new Path(location), true);
    } catch (IOException e) {
      throw failed("delete", location, e);
    }
  }
}

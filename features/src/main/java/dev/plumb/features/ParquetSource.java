package dev.plumb.features;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Reads a folder of Parquet part files, Hive-style partitions included, and fingerprints exactly
 * the files read.
 */
public final class ParquetSource {

  private ParquetSource() {}

  /** Reads {@code path}; fails naming the path when it does not exist or holds no Parquet files. */
  public static Dataset<Row> read(SparkSession spark, String path) {
    Configuration hadoop = spark.sparkContext().hadoopConfiguration();
    try {
      Path p = new Path(path);
      FileSystem fs = p.getFileSystem(hadoop);
      if (!fs.exists(p)) {
        throw FeatureErrors.missingInput(path, "does not exist");
      }
    } catch (IOException e) {
      throw FeatureErrors.missingInput(path, "cannot be listed: " + e.getMessage());
    }
    Dataset<Row> data = spark.read().parquet(path);
    if (data.inputFiles().length == 0) {
      throw FeatureErrors.missingInput(path, "holds no Parquet files");
    }
    return data;
  }

  /** Fingerprints the files behind {@code data} (size and modification time of each). */
  public static DataFingerprint fingerprint(
      SparkSession spark, Dataset<Row> data, String contractHash) {
    Configuration hadoop = spark.sparkContext().hadoopConfiguration();
    List<DataFingerprint.FileEntry> files = new ArrayList<>();
    for (String file : data.inputFiles()) {
      try {
        Path p = new Path(file);
        FileStatus status = p.getFileSystem(hadoop).getFileStatus(p);
        files.add(
            new DataFingerprint.FileEntry(file, status.getLen(), status.getModificationTime()));
      } catch (IOException e) {
        throw FeatureErrors.missingInput(file, "cannot be read: " + e.getMessage());
      }
    }
    return DataFingerprint.ofFiles(files, contractHash);
  }
}

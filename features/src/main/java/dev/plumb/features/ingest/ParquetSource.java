package dev.plumb.features.ingest;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.input_file_name;

import dev.plumb.features.FeatureErrors;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.Type;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Reads folders of Parquet part files with Hive-style partitions. Files are listed and their
 * footers read first (schema, row count): partition filters prune files before any data is read,
 * drift between files and the contract and unreadable files are found before anything is written,
 * and the rows in the files are known up front so that every row can be accounted for.
 */
public final class ParquetSource {

  /** Column added to every row: the file it came from. */
  public static final String SOURCE_FILE = "_source_file";

  /** Column added to every row: its position in its file (with the file, a unique row id). */
  public static final String SOURCE_ROW = "_source_row";

  private ParquetSource() {}

  /**
   * Footers read at once: listing is I/O-bound, and object stores answer slowly but in parallel.
   */
  private static final int FOOTER_THREADS = 16;

  /** Lists the data files under each root, reading the footers in parallel. */
  public static List<SourceFile> list(SparkSession spark, List<String> roots) {
    Configuration hadoop = spark.sparkContext().hadoopConfiguration();
    List<java.util.function.Supplier<SourceFile>> reads = new ArrayList<>();
    for (String root : roots) {
      Path rootPath = new Path(root);
      try {
        FileSystem fs = rootPath.getFileSystem(hadoop);
        if (!fs.exists(rootPath)) {
          throw FeatureErrors.missingInput(root, "does not exist");
        }
        String qualifiedRoot = fs.makeQualified(rootPath).toString();
        RemoteIterator<LocatedFileStatus> it = fs.listFiles(rootPath, true);
        while (it.hasNext()) {
          LocatedFileStatus status = it.next();
          String relative = status.getPath().toString().substring(qualifiedRoot.length());
          if (hidden(relative)) {
            continue;
          }
          Map<String, String> parts = partitions(relative);
          reads.add(() -> footer(hadoop, qualifiedRoot, status, parts));
        }
      } catch (IOException e) {
        throw FeatureErrors.missingInput(root, "cannot be listed: " + e.getMessage());
      }
    }
    List<SourceFile> files = new ArrayList<>(reads.size());
    if (reads.size() <= 1) {
      reads.forEach(r -> files.add(r.get()));
    } else {
      java.util.concurrent.ExecutorService pool =
          java.util.concurrent.Executors.newFixedThreadPool(
              Math.min(FOOTER_THREADS, reads.size()),
              r -> {
                Thread t = new Thread(r, "plumb-parquet-footers");
                t.setDaemon(true);
                return t;
              });
      try {
        List<java.util.concurrent.Future<SourceFile>> futures = new ArrayList<>();
        reads.forEach(r -> futures.add(pool.submit(r::get)));
        for (java.util.concurrent.Future<SourceFile> f : futures) {
          files.add(f.get());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("Cannot list the input: interrupted", e);
      } catch (java.util.concurrent.ExecutionException e) {
        throw e.getCause() instanceof RuntimeException r
            ? r
            : new IllegalStateException("Cannot read a Parquet footer", e.getCause());
      } finally {
        pool.shutdownNow();
      }
    }
    if (files.isEmpty()) {
      throw FeatureErrors.missingInput(String.join(", ", roots), "holds no Parquet files");
    }
    files.sort(java.util.Comparator.comparing(SourceFile::path));
    return files;
  }

  /** Spark and Hadoop skip names starting with _ or . at any level; so do we. */
  private static boolean hidden(String relative) {
    for (String part : relative.split("/")) {
      if (part.startsWith("_") || part.startsWith(".")) {
        return true;
      }
    }
    return false;
  }

  private static Map<String, String> partitions(String relative) {
    Map<String, String> values = new LinkedHashMap<>();
    String[] parts = relative.split("/");
    for (int i = 0; i < parts.length - 1; i++) {
      int eq = parts[i].indexOf('=');
      if (eq > 0) {
        values.put(
            parts[i].substring(0, eq),
            java.net.URLDecoder.decode(
                parts[i].substring(eq + 1), java.nio.charset.StandardCharsets.UTF_8));
      }
    }
    return values;
  }

  private static SourceFile footer(
      Configuration hadoop, String root, LocatedFileStatus status, Map<String, String> parts) {
    String path = status.getPath().toString();
    try (ParquetFileReader reader =
        ParquetFileReader.open(HadoopInputFile.fromStatus(status, hadoop))) {
      MessageType schema = reader.getFooter().getFileMetaData().getSchema();
      Map<String, String> types = new LinkedHashMap<>();
      for (Type field : schema.getFields()) {
        types.put(field.getName(), typeName(field));
      }
      return new SourceFile(
          root,
          path,
          status.getLen(),
          status.getModificationTime(),
          parts,
          reader.getRecordCount(),
          types,
          null,
          footerDigest(reader.getFooter()));
    } catch (IOException | RuntimeException e) {
      String reason = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
      return new SourceFile(
          root,
          path,
          status.getLen(),
          status.getModificationTime(),
          parts,
          -1,
          Map.of(),
          reason.lines().findFirst().orElse(reason));
    }
  }

  /**
   * A digest of what a file holds, from its footer alone: schema, and per row group its row count,
   * sizes and per column chunk the codec, value count, sizes and statistics. Equal for a byte-copy
   * of the file wherever it lives (local disk, S3, HDFS), so the fingerprint does not depend on the
   * location or the modification time.
   */
  static String footerDigest(org.apache.parquet.hadoop.metadata.ParquetMetadata footer) {
    StringBuilder sb = new StringBuilder(footer.getFileMetaData().getSchema().toString());
    for (org.apache.parquet.hadoop.metadata.BlockMetaData block : footer.getBlocks()) {
      sb.append("|rg ").append(block.getRowCount()).append(' ').append(block.getTotalByteSize());
      for (org.apache.parquet.hadoop.metadata.ColumnChunkMetaData c : block.getColumns()) {
        sb.append("|").append(c.getPath().toDotString());
        sb.append(' ').append(c.getCodec()).append(' ').append(c.getValueCount());
        sb.append(' ').append(c.getTotalSize()).append(' ').append(c.getTotalUncompressedSize());
        sb.append(' ').append(c.getFirstDataPageOffset());
        if (c.getStatistics() != null && !c.getStatistics().isEmpty()) {
          sb.append(' ').append(c.getStatistics().getNumNulls());
          sb.append(' ')
              .append(java.util.HexFormat.of().formatHex(c.getStatistics().getMinBytes()));
          sb.append(' ')
              .append(java.util.HexFormat.of().formatHex(c.getStatistics().getMaxBytes()));
        }
      }
    }
    return DataFingerprint.sha256(sb.toString());
  }

  /** The contract type name a Parquet field reads as, or a descriptive name when unsupported. */
  static String typeName(Type field) {
    if (!field.isPrimitive()) {
      return "group";
    }
    PrimitiveType p = field.asPrimitiveType();
    LogicalTypeAnnotation logical = p.getLogicalTypeAnnotation();
    switch (p.getPrimitiveTypeName()) {
      case BOOLEAN:
        return "boolean";
      case INT32:
        if (logical == null) {
          return "int";
        }
        if (logical instanceof LogicalTypeAnnotation.DateLogicalTypeAnnotation) {
          return "date";
        }
        if (logical instanceof LogicalTypeAnnotation.IntLogicalTypeAnnotation i) {
          return i.getBitWidth() == 32 && i.isSigned() ? "int" : "int" + i.getBitWidth();
        }
        return "int32:" + logical;
      case INT64:
        if (logical == null) {
          return "long";
        }
        if (logical instanceof LogicalTypeAnnotation.TimestampLogicalTypeAnnotation) {
          return "timestamp";
        }
        if (logical instanceof LogicalTypeAnnotation.IntLogicalTypeAnnotation i
            && i.getBitWidth() == 64
            && i.isSigned()) {
          return "long";
        }
        return "int64:" + logical;
      case INT96:
        return "timestamp";
      case FLOAT:
        return "float";
      case DOUBLE:
        return "double";
      case BINARY:
        if (logical instanceof LogicalTypeAnnotation.StringLogicalTypeAnnotation
            || logical instanceof LogicalTypeAnnotation.EnumLogicalTypeAnnotation
            || logical instanceof LogicalTypeAnnotation.JsonLogicalTypeAnnotation) {
          return "string";
        }
        return "binary";
      default:
        return p.getPrimitiveTypeName().name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /**
   * Keeps the files whose partition values satisfy {@code partitionFilter} (SQL over partition
   * columns only). Evaluated by Spark on the file list, before any data is read.
   */
  public static List<SourceFile> prune(
      SparkSession spark, List<SourceFile> files, String partitionFilter) {
    if (partitionFilter == null || partitionFilter.isBlank()) {
      return files;
    }
    Set<String> keys = new TreeSet<>();
    files.forEach(f -> keys.addAll(f.partitionValues().keySet()));
    StructType schema = new StructType().add("_i", DataTypes.IntegerType);
    for (String k : keys) {
      schema = schema.add(k, DataTypes.StringType);
    }
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < files.size(); i++) {
      Object[] cells = new Object[keys.size() + 1];
      cells[0] = i;
      int c = 1;
      for (String k : keys) {
        cells[c++] = files.get(i).partitionValues().get(k);
      }
      rows.add(RowFactory.create(cells));
    }
    Dataset<Row> table = spark.createDataFrame(rows, schema);
    List<Row> kept;
    try {
      kept = table.filter(expr(partitionFilter)).select("_i").collectAsList();
    } catch (RuntimeException e) {
      throw FeatureErrors.invalidSpec(
          "apply the partition filter '" + partitionFilter + "'",
          firstLine(e.getMessage()),
          "it may only use the partition columns " + keys);
    }
    List<SourceFile> out = new ArrayList<>();
    kept.forEach(r -> out.add(files.get(r.getInt(0))));
    out.sort(java.util.Comparator.comparing(SourceFile::path));
    return out;
  }

  /**
   * Reads the given readable files as one dataset: the contract's columns (cast to the contract's
   * stored types where the drift policy allowed a widening), the partition columns and {@link
   * #SOURCE_FILE}. Files with the same schema are read together.
   */
  public static Dataset<Row> read(
      SparkSession spark, List<SourceFile> files, DataContract contract, String partitionFilter) {
    Map<String, List<SourceFile>> groups = new LinkedHashMap<>();
    for (SourceFile f : files) {
      groups
          .computeIfAbsent(
              f.root() + "|" + f.columnTypes() + "|" + f.partitionValues().keySet(),
              k -> new ArrayList<>())
          .add(f);
    }
    Dataset<Row> all = null;
    for (List<SourceFile> group : groups.values()) {
      SourceFile first = group.get(0);
      Dataset<Row> part =
          spark
              .read()
              .option("basePath", first.root())
              .parquet(group.stream().map(SourceFile::path).toArray(String[]::new));
      List<Column> columns = new ArrayList<>();
      for (ColumnSpec spec : contract.columns()) {
        columns.addAll(IngestPlan.readAs(spec, first.columnTypes().get(spec.name())));
      }
      for (String k : first.partitionValues().keySet()) {
        if (contract.columns().stream().noneMatch(s -> s.name().equals(k))) {
          columns.add(col(k));
        }
      }
      columns.add(input_file_name().as(SOURCE_FILE));
      columns.add(col("_metadata.row_index").as(SOURCE_ROW));
      Dataset<Row> selected = part.select(columns.toArray(new Column[0]));
      all = all == null ? selected : all.unionByName(selected, true);
    }
    if (partitionFilter != null && !partitionFilter.isBlank()) {
      all = all.filter(expr(partitionFilter));
    }
    return all;
  }

  /** Fingerprints exactly these files, plus the contract. */
  public static DataFingerprint fingerprint(List<SourceFile> files, String contractHash) {
    return DataFingerprint.ofFiles(files.stream().map(SourceFile::entry).toList(), contractHash);
  }

  static String firstLine(String message) {
    return message == null ? "" : message.lines().findFirst().orElse(message);
  }
}

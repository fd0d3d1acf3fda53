package dev.plumb.jobs;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.input_file_name;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.monotonically_increasing_id;
import static org.apache.spark.sql.functions.not;

import dev.plumb.features.ColumnSpec;
import dev.plumb.features.ContractValidator;
import dev.plumb.features.DataContract;
import dev.plumb.features.DataFingerprint;
import dev.plumb.features.DeltaSource;
import dev.plumb.features.FeatureErrors;
import dev.plumb.features.IngestPlan;
import dev.plumb.features.ParquetSource;
import dev.plumb.features.SourceFile;
import io.delta.tables.DeltaTable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Observation;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Ingest: lists the input files and reads their footers, plans the read against the data contract
 * (drift and unreadable files fail before anything is written), validates every row in one pass,
 * writes clean rows and quarantined rows (original values, every reason, source file, run id) to
 * Delta, and reconciles the counts. Rerunning on unchanged input rewrites nothing.
 */
final class IngestStage {

  static final String RUN_ID = "_ingest_run_id";
  private static final String MARKER = "plumb-ingest:";

  /** What ingest produced. */
  record Result(
      long rowsRead,
      long rowsClean,
      long rowsQuarantined,
      Map<String, Long> quarantinedByReason,
      int filesRead,
      int filesSkipped,
      String fingerprint,
      String contractHash,
      Path cleanTable,
      long cleanVersion,
      Path report,
      boolean unchanged) {}

  private IngestStage() {}

  static Path reportPath(PlumbConfig config) {
    return config.workDir().resolve("reports").resolve("ingest-report.json");
  }

  static DataContract contract(PlumbConfig config) {
    Path path = Path.of(config.string("ingest.contract"));
    try {
      return DataContract.parse(Files.readString(path, StandardCharsets.UTF_8), path.toString());
    } catch (IOException e) {
      throw FeatureErrors.invalidSpec(
          "read the data contract",
          "file '" + path + "' cannot be read (" + e.getClass().getSimpleName() + ")",
          "check ingest.contract; examples live in conf/contracts/");
    }
  }

  /** The input as planned: rows to validate and what was read. */
  private record Input(
      Dataset<Row> data,
      List<String> extraColumns,
      DataFingerprint fingerprint,
      int filesRead,
      List<SourceFile> skipped,
      List<String> casts,
      long rowsInFiles,
      Map<String, Object> source) {}

  static Result run(SparkSession spark, PlumbConfig config, RunTracker tracker) {
    DataContract contract = contract(config);
    ContractValidator validator = new ContractValidator(contract);
    String format = config.string("ingest.format").toLowerCase(Locale.ROOT);
    String rowFilter = config.string("ingest.row_filter");
    Input input =
        switch (format) {
          case "parquet" -> parquet(spark, config, contract);
          case "delta" -> delta(spark, config, contract);
          default ->
              throw JobErrors.badValue(ConfigKeys.find("ingest.format"), format, config.source());
        };
    Dataset<Row> data = rowFilter.isBlank() ? input.data() : input.data().filter(expr(rowFilter));
    String fingerprint = input.fingerprint().hash();
    Path cleanPath = config.pathOr("ingest.clean_table", "tables/clean");
    Path quarantinePath = config.pathOr("ingest.quarantine_table", "tables/quarantine");
    Path reportPath = reportPath(config);

    Result previous = unchanged(spark, cleanPath, reportPath, fingerprint);
    if (previous != null) {
      Log.info(
          "ingest: input unchanged since the last ingest (fingerprint "
              + fingerprint.substring(0, 12)
              + "): nothing rewritten");
      return previous;
    }

    String runId = UUID.randomUUID().toString();
    Dataset<Row> winners =
        Log.timed(
                "ingest: look for duplicate keys (key columns only)",
                () ->
                    validator.duplicateWinners(
                        data, ParquetSource.SOURCE_FILE, ParquetSource.SOURCE_ROW))
            .value();
    Dataset<Row> annotated =
        validator.annotate(data, ParquetSource.SOURCE_FILE, ParquetSource.SOURCE_ROW, winners);
    // Every count and statistic of the report is observed while the clean table is written: one
    // pass over the data for both. The quarantine takes a second pass that writes only bad rows.
    List<Column> aggs = new ArrayList<>(validator.reportAggregations());
    aggs.addAll(validator.reasonAggregations());
    Observation observation = new Observation("plumb-ingest");
    Dataset<Row> observed =
        annotated.observe(
            observation, aggs.get(0), aggs.subList(1, aggs.size()).toArray(new Column[0]));
    try {
      Log.timed(
          "ingest: validate every row; write the clean and quarantine Delta tables",
          () -> {
            write(
                observed,
                annotated,
                validator,
                input,
                cleanPath,
                quarantinePath,
                fingerprint,
                runId);
            return null;
          });
    } catch (RuntimeException e) {
      if (concurrentWrite(e)) {
        throw new IllegalStateException(
            "Cannot ingest: another ingest wrote "
                + cleanPath.getParent()
                + " at the same time and won ("
                + e.getClass().getSimpleName()
                + "); the tables hold its complete result (rerun to write this one)",
            e);
      }
      throw e;
    }
    Map<String, Object> metrics;
    try {
      metrics = observation.getAsJava();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Cannot finish ingest: interrupted", e);
    }
    long rowsRead = ((Number) metrics.get("rows")).longValue();
    Map<String, Long> byReason = new TreeMap<>();
    for (String reason : validator.possibleReasons()) {
      long n = ((Number) metrics.get("reason:" + reason)).longValue();
      if (n > 0) {
        byReason.put(reason, n);
      }
    }
    {
      Commit cleanCommit = lastCommit(spark, cleanPath);
      Commit quarantineCommit = lastCommit(spark, quarantinePath);
      long rowsClean = cleanCommit.rowsWritten();
      long rowsQuarantined = quarantineCommit.rowsWritten();
      if (rowsRead != rowsClean + rowsQuarantined) {
        throw FeatureErrors.countsDoNotReconcile(rowsRead, rowsClean, rowsQuarantined);
      }
      if (rowFilter.isBlank() && input.rowsInFiles() >= 0 && input.rowsInFiles() != rowsRead) {
        throw new IllegalStateException(
            String.format(
                "Cannot finish ingest: the files' footers hold %d rows but %d were read (a file"
                    + " changed during the ingest? rerun it)",
                input.rowsInFiles(), rowsRead));
      }
      long cleanVersion = cleanCommit.version();

      Map<String, Object> report = new LinkedHashMap<>();
      report.put("ingest_run_id", runId);
      report.put("source", input.source());
      report.put("row_filter", rowFilter);
      report.put("files_read", input.filesRead() + input.skipped().size());
      report.put("files_ingested", input.filesRead());
      report.put("files_skipped", input.skipped().size());
      report.put(
          "skipped_files",
          input.skipped().stream()
              .map(f -> Map.of("path", f.path(), "reason", String.valueOf(f.error())))
              .toList());
      report.put("casts", input.casts());
      report.put("bytes_read", input.fingerprint().totalBytes());
      report.put("rows_read", rowsRead);
      report.put("rows_clean", rowsClean);
      report.put("rows_quarantined", rowsQuarantined);
      report.put("quarantined_by_reason", byReason);
      report.put("columns", validator.columnStatistics(metrics));
      report.put("data_fingerprint", fingerprint);
      report.put("contract", contract.name());
      report.put("contract_hash", contract.hash());
      report.put("clean_table", cleanPath.toString());
      report.put("clean_table_version", cleanVersion);
      report.put("quarantine_table", quarantinePath.toString());
      report.put("quarantine_table_version", quarantineCommit.version());
      JsonFiles.write(reportPath, report);
      Log.info(
          String.format(
              "ingest: files %d read (%d skipped), rows read %,d = clean %,d + quarantined %,d %s",
              input.filesRead() + input.skipped().size(),
              input.skipped().size(),
              rowsRead,
              rowsClean,
              rowsQuarantined,
              byReason));
      return new Result(
          rowsRead,
          rowsClean,
          rowsQuarantined,
          byReason,
          input.filesRead(),
          input.skipped().size(),
          fingerprint,
          contract.hash(),
          cleanPath,
          cleanVersion,
          reportPath,
          false);
    }
  }

  private static void write(
      Dataset<Row> observed,
      Dataset<Row> annotated,
      ContractValidator validator,
      Input input,
      Path cleanPath,
      Path quarantinePath,
      String fingerprint,
      String runId) {
    observed
        .filter(ContractValidator.isClean())
        .select(validator.cleanColumns(input.extraColumns()))
        .write()
        .format("delta")
        .mode("overwrite")
        .option("overwriteSchema", "true")
        .option("userMetadata", MARKER + fingerprint)
        .save(cleanPath.toString());
    List<String> quarantineExtra = new ArrayList<>(input.extraColumns());
    quarantineExtra.add(ParquetSource.SOURCE_FILE);
    quarantineExtra.add(ParquetSource.SOURCE_ROW);
    annotated
        .filter(not(ContractValidator.isClean()))
        .select(validator.quarantineColumns(quarantineExtra))
        .withColumn(RUN_ID, lit(runId))
        .write()
        .format("delta")
        .mode("overwrite")
        .option("overwriteSchema", "true")
        .option("userMetadata", MARKER + fingerprint)
        .save(quarantinePath.toString());
  }

  /** True when Delta refused a commit because another writer committed first. */
  static boolean concurrentWrite(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      for (Class<?> c = t.getClass(); c != null; c = c.getSuperclass()) {
        if (c.getSimpleName().equals("DeltaConcurrentModificationException")) {
          return true;
        }
      }
    }
    return false;
  }

  private static Input parquet(SparkSession spark, PlumbConfig config, DataContract contract) {
    List<String> roots =
        Arrays.stream(config.pathOr("ingest.input", "demo-data").toString().split(","))
            .map(String::trim)
            .filter(s -> !s.isEmpty())
            .toList();
    String partitionFilter = config.string("ingest.partition_filter");
    List<SourceFile> listed = ParquetSource.list(spark, roots);
    List<SourceFile> files = ParquetSource.prune(spark, listed, partitionFilter);
    IngestPlan.UnreadablePolicy policy = unreadablePolicy(config);
    IngestPlan plan = IngestPlan.of(files, contract, policy);
    Log.info(
        String.format(
            "ingest: %d files listed under %s, %d after partition pruning, %d to read, %d skipped",
            listed.size(), roots, files.size(), plan.ingest().size(), plan.skipped().size()));
    plan.skipped()
        .forEach(f -> Log.warn("ingest: skipping unreadable " + f.path() + ": " + f.error()));
    plan.casts().forEach(c -> Log.info("ingest: widening " + c));
    Dataset<Row> data = ParquetSource.read(spark, plan.ingest(), contract, partitionFilter);
    List<String> extra = partitionColumns(plan.ingest(), contract);
    Map<String, Object> source = new LinkedHashMap<>();
    source.put("format", "parquet");
    source.put("roots", roots);
    source.put("partition_filter", partitionFilter);
    source.put("files_listed", listed.size());
    return new Input(
        data,
        extra,
        ParquetSource.fingerprint(files, inputHash(contract, config)),
        plan.ingest().size(),
        plan.skipped(),
        plan.casts(),
        plan.rowsInFiles(),
        source);
  }

  private static Input delta(SparkSession spark, PlumbConfig config, DataContract contract) {
    String path = config.pathOr("ingest.input", "demo-data").toString();
    DeltaSource.Input in =
        DeltaSource.read(
            spark,
            path,
            config.integer("ingest.delta_version"),
            config.string("ingest.delta_timestamp"));
    SourceFile table = DeltaSource.asSourceFile(in, path);
    IngestPlan plan = IngestPlan.of(List.of(table), contract, IngestPlan.UnreadablePolicy.FAIL);
    List<Column> columns = new ArrayList<>();
    for (ColumnSpec spec : contract.columns()) {
      boolean same = spec.storedType().toString().equals(table.columnTypes().get(spec.name()));
      columns.add(
          same
              ? col(spec.name())
              : col(spec.name()).cast(spec.storedType().sparkType()).as(spec.name()));
    }
    columns.add(input_file_name().as(ParquetSource.SOURCE_FILE));
    // Delta does not expose _metadata.row_index; the id is stable for the same table version
    // and file splits, which is all the duplicate check needs within one ingest.
    columns.add(monotonically_increasing_id().as(ParquetSource.SOURCE_ROW));
    Map<String, Object> source = new LinkedHashMap<>();
    source.put("format", "delta");
    source.put("table", path);
    source.put("table_id", in.tableId());
    source.put("version", in.version());
    Log.info("ingest: Delta table " + path + " version " + in.version());
    return new Input(
        in.data().select(columns.toArray(new Column[0])),
        List.of(),
        DataFingerprint.ofDelta(in.tableId(), in.version(), inputHash(contract, config)),
        1,
        List.of(),
        plan.casts(),
        -1,
        source);
  }

  private static IngestPlan.UnreadablePolicy unreadablePolicy(PlumbConfig config) {
    String v = config.string("ingest.unreadable_files").toUpperCase(Locale.ROOT);
    try {
      return IngestPlan.UnreadablePolicy.valueOf(v);
    } catch (IllegalArgumentException e) {
      throw JobErrors.badValue(
          ConfigKeys.find("ingest.unreadable_files"),
          config.string("ingest.unreadable_files"),
          config.source());
    }
  }

  /** The contract and the row filter decide what is read, so both are part of the fingerprint. */
  private static String inputHash(DataContract contract, PlumbConfig config) {
    String rowFilter = config.string("ingest.row_filter");
    return rowFilter.isBlank() ? contract.hash() : contract.hash() + "|row_filter=" + rowFilter;
  }

  private static List<String> partitionColumns(List<SourceFile> files, DataContract contract) {
    List<String> declared = contract.columns().stream().map(ColumnSpec::name).toList();
    return files.get(0).partitionValues().keySet().stream()
        .filter(k -> !declared.contains(k))
        .toList();
  }

  /** The previous result when the clean table was last written from this very input. */
  private static Result unchanged(
      SparkSession spark, Path cleanPath, Path reportPath, String fingerprint) {
    if (!Files.isRegularFile(reportPath) || !DeltaTable.isDeltaTable(spark, cleanPath.toString())) {
      return null;
    }
    Row last = DeltaTable.forPath(spark, cleanPath.toString()).history(1).first();
    String metadata = last.getString(last.fieldIndex("userMetadata"));
    if (!(MARKER + fingerprint).equals(metadata)) {
      return null;
    }
    Map<String, Object> r = JsonFiles.read(reportPath, "the ingest report", "ingest");
    if (!fingerprint.equals(r.get("data_fingerprint"))) {
      return null;
    }
    Map<String, Long> byReason = new TreeMap<>();
    @SuppressWarnings("unchecked")
    Map<String, Object> reasons = (Map<String, Object>) r.get("quarantined_by_reason");
    reasons.forEach((k, v) -> byReason.put(k, ((Number) v).longValue()));
    return new Result(
        ((Number) r.get("rows_read")).longValue(),
        ((Number) r.get("rows_clean")).longValue(),
        ((Number) r.get("rows_quarantined")).longValue(),
        byReason,
        ((Number) r.get("files_ingested")).intValue(),
        ((Number) r.get("files_skipped")).intValue(),
        fingerprint,
        String.valueOf(r.get("contract_hash")),
        cleanPath,
        ((Number) r.get("clean_table_version")).longValue(),
        reportPath,
        true);
  }

  /** The last commit of a Delta table: its version and the rows it wrote (one log read). */
  private record Commit(long version, long rowsWritten) {}

  private static Commit lastCommit(SparkSession spark, Path table) {
    Row last = DeltaTable.forPath(spark, table.toString()).history(1).first();
    Map<String, String> metrics = last.getJavaMap(last.fieldIndex("operationMetrics"));
    return new Commit(
        last.getLong(last.fieldIndex("version")),
        Long.parseLong(metrics.getOrDefault("numOutputRows", "0")));
  }
}

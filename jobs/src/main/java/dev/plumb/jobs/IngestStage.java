package dev.plumb.jobs;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.input_file_name;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.not;
import static org.apache.spark.sql.functions.size;

import dev.plumb.features.ContractValidator;
import dev.plumb.features.DataContract;
import dev.plumb.features.DataFingerprint;
import dev.plumb.features.FeatureErrors;
import dev.plumb.features.ParquetSource;
import io.delta.tables.DeltaTable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;

/**
 * Ingest: reads the Parquet shards, checks them against the data contract, writes clean rows and
 * quarantined rows (with every reason) to Delta, and reconciles the counts.
 */
final class IngestStage {

  static final String SOURCE_FILE = "_source_file";
  static final String RUN_ID = "_ingest_run_id";

  /** What ingest produced. */
  record Result(
      long rowsRead,
      long rowsClean,
      long rowsQuarantined,
      Map<String, Long> quarantinedByReason,
      int filesRead,
      String fingerprint,
      String contractHash,
      Path cleanTable,
      long cleanVersion,
      Path report) {}

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

  static Result run(SparkSession spark, PlumbConfig config, RunTracker tracker) {
    DataContract contract = contract(config);
    ContractValidator validator = new ContractValidator(contract);
    String input = config.pathOr("ingest.input", "demo-data").toString();
    Dataset<Row> raw = ParquetSource.read(spark, input);
    validator.checkSchema(raw.schema(), input);
    DataFingerprint fingerprint = ParquetSource.fingerprint(spark, raw, contract.hash());
    String runId = UUID.randomUUID().toString();
    Log.info(
        String.format(
            "ingest: %d files (%,d bytes) from %s, contract '%s'",
            fingerprint.files().size(), fingerprint.totalBytes(), input, contract.name()));

    List<String> originalColumns = List.of(raw.columns());
    Dataset<Row> annotated =
        validator
            .annotate(raw.withColumn(SOURCE_FILE, input_file_name()))
            .persist(StorageLevel.MEMORY_AND_DISK());
    try {
      Map<String, Long> byReason = new TreeMap<>();
      for (Row r :
          annotated
              .select(explode(col(ContractValidator.REASONS)).as("reason"))
              .groupBy("reason")
              .count()
              .collectAsList()) {
        byReason.put(r.getString(0), r.getLong(1));
      }
      long rowsRead = annotated.count();

      Column isClean = size(col(ContractValidator.REASONS)).equalTo(0);
      Path cleanPath = config.pathOr("ingest.clean_table", "tables/clean");
      Path quarantinePath = config.pathOr("ingest.quarantine_table", "tables/quarantine");
      annotated
          .filter(isClean)
          .select(originalColumns.stream().map(c -> col(c)).toArray(Column[]::new))
          .write()
          .format("delta")
          .mode("overwrite")
          .option("overwriteSchema", "true")
          .save(cleanPath.toString());
      annotated
          .filter(not(isClean))
          .withColumn(RUN_ID, lit(runId))
          .write()
          .format("delta")
          .mode("overwrite")
          .option("overwriteSchema", "true")
          .save(quarantinePath.toString());

      long rowsClean = writtenRows(spark, cleanPath);
      long rowsQuarantined = writtenRows(spark, quarantinePath);
      if (rowsRead != rowsClean + rowsQuarantined) {
        throw FeatureErrors.countsDoNotReconcile(rowsRead, rowsClean, rowsQuarantined);
      }
      long cleanVersion =
          DeltaTable.forPath(spark, cleanPath.toString())
              .history(1)
              .select("version")
              .first()
              .getLong(0);

      Map<String, Object> report = new LinkedHashMap<>();
      report.put("ingest_run_id", runId);
      report.put("input", input);
      report.put("files_read", fingerprint.files().size());
      report.put("files_skipped", 0);
      report.put("bytes_read", fingerprint.totalBytes());
      report.put("rows_read", rowsRead);
      report.put("rows_clean", rowsClean);
      report.put("rows_quarantined", rowsQuarantined);
      report.put("quarantined_by_reason", byReason);
      report.put("data_fingerprint", fingerprint.hash());
      report.put("contract", contract.name());
      report.put("contract_hash", contract.hash());
      report.put("clean_table", cleanPath.toString());
      report.put("clean_table_version", cleanVersion);
      report.put("quarantine_table", quarantinePath.toString());
      Path reportPath = reportPath(config);
      JsonFiles.write(reportPath, report);
      Log.info(
          String.format(
              "ingest: rows read %,d = clean %,d + quarantined %,d %s",
              rowsRead, rowsClean, rowsQuarantined, byReason));
      return new Result(
          rowsRead,
          rowsClean,
          rowsQuarantined,
          byReason,
          fingerprint.files().size(),
          fingerprint.hash(),
          contract.hash(),
          cleanPath,
          cleanVersion,
          reportPath);
    } finally {
      annotated.unpersist();
    }
  }

  /** Rows the last commit wrote, from the Delta log's operation metrics. */
  private static long writtenRows(SparkSession spark, Path table) {
    Row last = DeltaTable.forPath(spark, table.toString()).history(1).first();
    Map<String, String> metrics = last.getJavaMap(last.fieldIndex("operationMetrics"));
    return Long.parseLong(metrics.getOrDefault("numOutputRows", "0"));
  }
}

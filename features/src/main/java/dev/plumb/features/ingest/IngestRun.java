package dev.plumb.features.ingest;

import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.input_file_name;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.monotonically_increasing_id;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.udf;
import static org.apache.spark.sql.functions.when;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plumb.features.FeatureErrors;
import dev.plumb.features.io.FaultPoints;
import dev.plumb.features.io.JsonFiles;
import dev.plumb.features.io.Locations;
import dev.plumb.features.io.Log;
import dev.plumb.features.io.SparkSql;
import dev.plumb.features.io.Storages;
import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.Function;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Observation;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.delta.DeltaLog;
import org.apache.spark.sql.delta.actions.AddFile;
import org.apache.spark.sql.delta.actions.CommitInfo;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import scala.Option;

/**
 * Ingest: lists the input files and reads their footers, plans the read against the data contract
 * (drift and unreadable files fail before anything is written), looks for duplicate keys (key
 * columns only), validates every row while writing the clean rows to Delta, then writes the
 * quarantined rows (original values, every reason, source file, run id) in a second pass that is
 * skipped when there are none, and reconciles the counts against the footers. Rerunning on
 * unchanged input rewrites nothing.
 */
public final class IngestRun {

  public static final String RUN_ID = "_ingest_run_id";
  private static final String MARKER = "plumb-ingest:";

  /** What ingest produced. */
  public record Result(
      long rowsRead,
      long rowsClean,
      long rowsQuarantined,
      Map<String, Long> quarantinedByReason,
      int filesRead,
      int filesSkipped,
      String fingerprint,
      String contractHash,
      String cleanTable,
      long cleanVersion,
      String report,
      boolean unchanged,
      Map<String, Double> timings) {}

  private IngestRun() {}

  /**
   * The input as planned: rows to validate (built on demand) and what was read; {@code readFiles}
   * reads just the named files (null for a Delta input).
   */
  private record Input(
      java.util.function.Supplier<Dataset<Row>> data,
      List<String> extraColumns,
      DataFingerprint fingerprint,
      int filesRead,
      List<SourceFile> skipped,
      List<String> casts,
      long rowsInFiles,
      Map<String, Object> source,
      Function<Set<String>, Dataset<Row>> readFiles) {}

  /**
   * The fingerprint ingest would record for this input now: files listed and their footers read, no
   * rows read.
   */
  public static DataFingerprint fingerprint(
      SparkSession spark, IngestSettings settings, DataContract contract) {
    return switch (settings.format()) {
      case PARQUET -> parquet(spark, settings, contract).fingerprint();
      case DELTA -> delta(spark, settings, contract).fingerprint();
    };
  }

  /** A fingerprint's parts as the ingest report records them, to name what changed later. */
  public static Map<String, Object> fingerprintParts(DataFingerprint f) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("kind", f.kind());
    m.put("contract_hash", f.contractHash());
    if (f.tableId() != null) {
      m.put("table_id", f.tableId());
      m.put("table_version", f.tableVersion());
    }
    m.put(
        "files",
        f.files().stream()
            .map(e -> Map.of("path", e.path(), "size", e.size(), "digest", e.digest()))
            .toList());
    return m;
  }

  /** Ingests {@code settings.inputRoots()} under {@code contract}; see the class comment. */
  public static Result run(SparkSession spark, IngestSettings settings, DataContract contract) {
    ContractValidator validator = new ContractValidator(contract);
    String rowFilter = settings.rowFilter();
    long started = System.nanoTime();
    Map<String, Double> timings = new LinkedHashMap<>();
    Input input =
        switch (settings.format()) {
          case PARQUET -> parquet(spark, settings, contract);
          case DELTA -> delta(spark, settings, contract);
        };
    String fingerprint = input.fingerprint().hash();
    String cleanPath = settings.cleanTable();
    String quarantinePath = settings.quarantineTable();
    String reportPath = settings.reportLocation();

    Result previous = unchanged(spark, cleanPath, reportPath, fingerprint);
    if (previous != null) {
      Log.info(
          "ingest: input unchanged since the last ingest (fingerprint "
              + fingerprint.substring(0, 12)
              + "): nothing rewritten");
      return previous;
    }

    // Planned only now: an unchanged input needs no DataFrame (and no schema inference).
    Dataset<Row> data =
        rowFilter.isBlank() ? input.data().get() : input.data().get().filter(expr(rowFilter));
    String runId = UUID.randomUUID().toString();
    // The footers say how many rows the files hold before anything is read; only a row filter or a
    // Delta input needs the rows counted while they are read.
    long footerRows = rowFilter.isBlank() ? input.rowsInFiles() : -1;
    timings.put("list_and_plan", (System.nanoTime() - started) / 1e9);
    Log.Timed<ContractValidator.Duplicates> dupSearch =
        Log.timed(
            "ingest: look for duplicate keys (key columns only)",
            () ->
                validator.duplicates(
                    data,
                    ParquetSource.SOURCE_FILE,
                    ParquetSource.SOURCE_ROW,
                    footerRows,
                    input.readFiles()));
    timings.put("duplicate_keys", dupSearch.seconds());
    ContractValidator.Duplicates duplicates = dupSearch.value();
    ContractValidator.Validation validation =
        validator.validate(data, ParquetSource.SOURCE_FILE, ParquetSource.SOURCE_ROW, duplicates);
    Written written;
    try {
      written =
          Log.timed(
                  "ingest: validate every row; write the clean and quarantine Delta tables",
                  () ->
                      write(
                          spark,
                          validation,
                          validator,
                          input,
                          footerRows,
                          cleanPath,
                          quarantinePath,
                          fingerprint,
                          runId,
                          settings.maxGatheredBadRows()))
              .value();
    } catch (RuntimeException e) {
      if (concurrentWrite(e)) {
        throw new IllegalStateException(
            "Cannot ingest: another ingest wrote "
                + Locations.parent(cleanPath)
                + " at the same time and won ("
                + e.getClass().getSimpleName()
                + "); the tables hold its complete result (rerun to write this one)",
            e);
      }
      throw e;
    }
    {
      Commit cleanCommit = written.clean();
      Commit quarantineCommit = written.quarantine();
      long rowsClean = cleanCommit.rowsWritten();
      long rowsQuarantined = quarantineCommit.rowsWritten();
      long rowsRead = footerRows >= 0 ? footerRows : written.rowsCounted();
      if (rowsRead != rowsClean + rowsQuarantined) {
        throw footerRows >= 0
            ? FeatureErrors.rowsNotAccountedFor(rowsRead, rowsClean, rowsQuarantined)
            : FeatureErrors.countsDoNotReconcile(rowsRead, rowsClean, rowsQuarantined);
      }
      Map<String, Long> byReason = written.quarantinedByReason();
      long cleanVersion = cleanCommit.version();

      Map<String, Object> report = new LinkedHashMap<>();
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
      report.put("fingerprint_parts", fingerprintParts(input.fingerprint()));
      report.put("quarantined_by_reason", byReason);
      report.put("columns", validator.report(written.statistics()));
      report.put("contract", contract.name());
      timings.put("clean_pass", written.cleanSeconds());
      timings.put("quarantine", written.quarantineSeconds());
      timings.put("total", (System.nanoTime() - started) / 1e9);
      report.put("timings_s", timings);
      JsonFiles.write(
          reportPath,
          new IngestReport(
                  fingerprint,
                  contract.hash(),
                  cleanPath,
                  cleanVersion,
                  quarantinePath,
                  quarantineCommit.version(),
                  rowsRead,
                  rowsClean,
                  rowsQuarantined,
                  runId,
                  report)
              .toJson());
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
          false,
          timings);
    }
  }

  /** What the two writes produced. */
  private record Written(
      Commit clean,
      Commit quarantine,
      long rowsCounted,
      Map<String, Long> quarantinedByReason,
      Map<String, ContractValidator.ColumnStats> statistics,
      double cleanSeconds,
      double quarantineSeconds) {}

  /**
   * Writes the clean rows, then the quarantined rows. The clean pass is a filter on one boolean (no
   * reason strings, no statistics but the sums of numeric columns): the clean table's null counts,
   * min and max come from the statistics Delta itself keeps for the files it wrote. The quarantine
   * pass builds every reason and gathers its counts and statistics over the bad rows only; it is
   * skipped when the footers' row count equals the clean rows written.
   */
  private static Written write(
      SparkSession spark,
      ContractValidator.Validation validation,
      ContractValidator validator,
      Input input,
      long footerRows,
      String cleanPath,
      String quarantinePath,
      String fingerprint,
      String runId,
      int maxGatheredBadRows) {
    Observation read = null;
    ContractValidator.Validation counted = validation;
    if (footerRows < 0) {
      read = new Observation("plumb-ingest-read");
      counted =
          new ContractValidator.Validation(
              validation.rows().observe(read, count(lit(1)).as("rows")),
              validation.broken(),
              validation.reasons());
    }
    // The clean pass keeps the rows that break no rule and hands each bad row (all its columns and
    // reasons) to the collector: with few bad rows the quarantine needs no second pass.
    Dataset<Row> rows = counted.rows();
    List<Column> badColumns = new ArrayList<>();
    for (String name : rows.columns()) {
      badColumns.add(SparkSql.column(name));
    }
    badColumns.add(validation.reasons().as(ContractValidator.REASONS));
    Column badRow = struct(badColumns.toArray(new Column[0]));
    QuarantineCollector collector = new QuarantineCollector(maxGatheredBadRows);
    spark.sparkContext().register(collector, "plumb-ingest-quarantined-rows");
    UserDefinedFunction quarantine =
        udf(
                (UDF1<Row, Boolean>)
                    r -> {
                      collector.add(r);
                      return false;
                    },
                DataTypes.BooleanType)
            .asNondeterministic();
    Dataset<Row> clean =
        rows.filter(
                when(
                        validation.broken(),
                        quarantine.apply(QuarantineCollector.carried(rows, badRow)))
                    .otherwise(lit(true)))
            .select(validator.cleanColumns(input.extraColumns()));
    StructType badSchema = (StructType) rows.select(badRow).schema().fields()[0].dataType();
    List<Column> sums = validator.cleanSumAggregations();
    Observation cleanSums = null;
    if (!sums.isEmpty()) {
      cleanSums = new Observation("plumb-ingest-clean");
      clean =
          clean.observe(
              cleanSums, sums.get(0), sums.subList(1, sums.size()).toArray(new Column[0]));
    }
    Dataset<Row> cleanOut = FaultPoints.pauseInsideWrite(clean, FaultPoints.INGEST_CLEAN_WRITE);
    double cleanSeconds =
        Log.timed(
                "ingest: write the clean table",
                () -> {
                  save(cleanOut, cleanPath, fingerprint);
                  return null;
                })
            .seconds();
    Commit cleanCommit = lastCommit(spark, cleanPath);
    FaultPoints.reach(FaultPoints.INGEST_BETWEEN_COMMITS);
    long rowsCounted =
        read == null
            ? footerRows
            : ((Number) SparkSql.observed(read, "ingest").get("rows")).longValue();

    List<String> quarantineExtra = new ArrayList<>(input.extraColumns());
    quarantineExtra.add(ParquetSource.SOURCE_FILE);
    quarantineExtra.add(ParquetSource.SOURCE_ROW);
    boolean noBadRows = cleanCommit.rowsWritten() == rowsCounted;
    Dataset<Row> bad;
    if (noBadRows) {
      // An empty table: the last run's rows must not linger.
      bad = spark.createDataFrame(List.of(), badSchema);
    } else if (!collector.overflowed()
        && collector.count() == rowsCounted - cleanCommit.rowsWritten()) {
      bad = collector.dataFrame(spark, badSchema);
    } else {
      Log.info(
          collector.overflowed()
              ? "ingest: more bad rows than ingest.max_gathered_bad_rows ("
                  + maxGatheredBadRows
                  + "); reading them in a second pass"
              : "ingest: the bad rows gathered do not match the rows left out of the clean"
                  + " table; reading them in a second pass");
      bad = validation.quarantinedRows();
    }
    Observation quarantineMetrics = null;
    if (!noBadRows) {
      List<Column> aggs = new ArrayList<>(validator.reasonAggregations());
      aggs.addAll(validator.statisticsAggregations());
      quarantineMetrics = new Observation("plumb-ingest-quarantine");
      bad =
          bad.observe(
              quarantineMetrics, aggs.get(0), aggs.subList(1, aggs.size()).toArray(new Column[0]));
    }
    Dataset<Row> badOut =
        bad.select(validator.quarantineColumns(quarantineExtra)).withColumn(RUN_ID, lit(runId));
    double quarantineSeconds =
        Log.timed(
                "ingest: write the quarantine table" + (noBadRows ? " (empty)" : ""),
                () -> {
                  save(badOut, quarantinePath, fingerprint);
                  return null;
                })
            .seconds();
    Commit quarantineCommit = lastCommit(spark, quarantinePath);

    Map<String, Long> byReason = new TreeMap<>();
    Map<String, ContractValidator.ColumnStats> quarantineStats = Map.of();
    if (quarantineMetrics != null) {
      Map<String, Object> metrics = SparkSql.observed(quarantineMetrics, "ingest");
      for (String reason : validator.possibleReasons()) {
        long n = ((Number) metrics.get("reason:" + reason)).longValue();
        if (n > 0) {
          byReason.put(reason, n);
        }
      }
      quarantineStats = validator.statistics(metrics);
    }
    Map<String, ContractValidator.ColumnStats> cleanStats =
        cleanStatistics(spark, validator, cleanPath, cleanCommit, cleanSums);
    Map<String, ContractValidator.ColumnStats> statistics = new LinkedHashMap<>();
    for (String column : validator.declaredColumns()) {
      statistics.put(
          column,
          cleanStats
              .getOrDefault(column, ContractValidator.ColumnStats.NONE)
              .plus(quarantineStats.getOrDefault(column, ContractValidator.ColumnStats.NONE)));
    }
    return new Written(
        cleanCommit,
        quarantineCommit,
        rowsCounted,
        byReason,
        statistics,
        cleanSeconds,
        quarantineSeconds);
  }

  private static void save(Dataset<Row> rows, String table, String fingerprint) {
    SparkSql.replaceDelta(rows, table, Map.of("userMetadata", MARKER + fingerprint));
  }

  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * The clean table's per-column statistics: null counts, min and max from the statistics Delta
   * wrote with the commit (its {@code add} actions), sums from the clean pass. When Delta has no
   * usable statistics for a column (not collected, or beyond the first 32 columns), the table
   * version just written is aggregated instead.
   */
  private static Map<String, ContractValidator.ColumnStats> cleanStatistics(
      SparkSession spark,
      ContractValidator validator,
      String table,
      Commit commit,
      Observation sums) {
    Map<String, Object> sumValues = sums == null ? Map.of() : SparkSql.observed(sums, "ingest");
    Map<String, ContractValidator.ColumnStats> fromLog =
        deltaFileStatistics(validator, commit, sumValues);
    if (fromLog != null) {
      return fromLog;
    }
    Log.info("ingest: no usable Delta file statistics; aggregating the clean table");
    List<Column> aggs = validator.cleanTableStatisticsAggregations();
    Row r =
        spark
            .read()
            .format("delta")
            .option("versionAsOf", commit.version())
            .load(table.toString())
            .agg(aggs.get(0), aggs.subList(1, aggs.size()).toArray(new Column[0]))
            .first();
    Map<String, Object> values = new LinkedHashMap<>();
    for (String name : r.schema().fieldNames()) {
      values.put(name, r.get(r.fieldIndex(name)));
    }
    return validator.statistics(values);
  }

  /** Per-column statistics from the commit's add actions, or null when any is missing. */
  private static Map<String, ContractValidator.ColumnStats> deltaFileStatistics(
      ContractValidator validator, Commit commit, Map<String, Object> sums) {
    List<JsonNode> stats = commit.fileStats();
    if (stats == null) {
      return null;
    }
    long records = 0;
    for (JsonNode s : stats) {
      if (s.get("numRecords") == null || s.get("nullCount") == null) {
        return null;
      }
      records += s.get("numRecords").asLong();
    }
    if (records != commit.rowsWritten()) {
      return null;
    }
    Map<String, ContractValidator.ColumnStats> out = new LinkedHashMap<>();
    for (ColumnSpec spec : validator.contract().columns()) {
      String name = spec.name();
      ContractValidator.ColumnStats total = ContractValidator.ColumnStats.NONE;
      for (JsonNode s : stats) {
        long rows = s.get("numRecords").asLong();
        JsonNode nulls = s.get("nullCount").get(name);
        if (nulls == null || !nulls.isIntegralNumber()) {
          return null;
        }
        long values = rows - nulls.asLong();
        Double min = null;
        Double max = null;
        if (spec.type().isNumeric() && values > 0) {
          min = statValue(s.get("minValues"), name, spec);
          max = statValue(s.get("maxValues"), name, spec);
          if (min == null || max == null) {
            return null;
          }
        }
        total =
            total.plus(
                new ContractValidator.ColumnStats(
                    nulls.asLong(), spec.type().isNumeric() ? values : 0, min, max, 0.0));
      }
      Double sum = null;
      if (spec.type().isNumeric()) {
        Object v = sums.get("sum:" + name);
        sum =
            total.values() == 0
                ? Double.valueOf(0.0)
                : v == null ? null : ((Number) v).doubleValue();
      }
      out.put(
          name,
          new ContractValidator.ColumnStats(
              total.nulls(), total.values(), total.min(), total.max(), sum));
    }
    return out;
  }

  /** A min or max of Delta's file statistics as a double, read as the column's type. */
  private static Double statValue(JsonNode values, String name, ColumnSpec spec) {
    JsonNode v = values == null ? null : values.get(name);
    if (v == null || !v.isNumber()) {
      return null;
    }
    return switch (spec.type()) {
      case INT, LONG -> (double) v.asLong();
      case FLOAT -> (double) Float.parseFloat(v.asText());
      default -> v.asDouble();
    };
  }

  /** True when Delta refused a commit because another writer committed first. */
  public static boolean concurrentWrite(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      for (Class<?> c = t.getClass(); c != null; c = c.getSuperclass()) {
        if (c.getSimpleName().equals("DeltaConcurrentModificationException")) {
          return true;
        }
      }
    }
    return false;
  }

  private static Input parquet(SparkSession spark, IngestSettings settings, DataContract contract) {
    List<String> roots = settings.inputRoots();
    String partitionFilter = settings.partitionFilter();
    List<SourceFile> listed = ParquetSource.list(spark, roots);
    List<SourceFile> files = ParquetSource.prune(spark, listed, partitionFilter);
    IngestPlan.UnreadablePolicy policy = settings.unreadableFiles();
    IngestPlan plan = IngestPlan.of(files, contract, policy);
    Log.info(
        String.format(
            "ingest: %d files listed under %s, %d after partition pruning, %d to read, %d skipped",
            listed.size(), roots, files.size(), plan.ingest().size(), plan.skipped().size()));
    plan.skipped()
        .forEach(f -> Log.warn("ingest: skipping unreadable " + f.path() + ": " + f.error()));
    plan.casts().forEach(c -> Log.info("ingest: widening " + c));
    List<String> extra = partitionColumns(plan.ingest(), contract);
    Map<String, Object> source = new LinkedHashMap<>();
    source.put("format", "parquet");
    source.put("roots", roots);
    source.put("partition_filter", partitionFilter);
    source.put("files_listed", listed.size());
    return new Input(
        () -> ParquetSource.read(spark, plan.ingest(), contract, partitionFilter),
        extra,
        ParquetSource.fingerprint(files, inputHash(contract, settings)),
        plan.ingest().size(),
        plan.skipped(),
        plan.casts(),
        plan.rowsInFiles(),
        source,
        names -> {
          Set<String> wanted = new HashSet<>();
          names.forEach(n -> wanted.add(fileKey(URI.create(n))));
          List<SourceFile> some =
              plan.ingest().stream()
                  .filter(
                      f ->
                          wanted.contains(fileKey(new org.apache.hadoop.fs.Path(f.path()).toUri())))
                  .toList();
          return some.size() == names.size()
              ? ParquetSource.read(spark, some, contract, partitionFilter)
              : null;
        });
  }

  /** A file's identity whether its path is written encoded (a URI) or not: scheme, host, path. */
  private static String fileKey(URI uri) {
    return uri.getScheme()
        + "|"
        + (uri.getAuthority() == null ? "" : uri.getAuthority())
        + "|"
        + uri.getPath();
  }

  private static Input delta(SparkSession spark, IngestSettings settings, DataContract contract) {
    String path = settings.inputRoots().get(0);
    DeltaSource.Input in =
        DeltaSource.read(spark, path, settings.deltaVersion(), settings.deltaTimestamp());
    SourceFile table = DeltaSource.asSourceFile(in, path);
    IngestPlan plan = IngestPlan.of(List.of(table), contract, IngestPlan.UnreadablePolicy.FAIL);
    List<Column> columns = new ArrayList<>();
    for (ColumnSpec spec : contract.columns()) {
      columns.addAll(IngestPlan.readAs(spec, table.columnTypes().get(spec.name())));
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
        () -> in.data().select(columns.toArray(new Column[0])),
        List.of(),
        DataFingerprint.ofDelta(in.tableId(), in.version(), inputHash(contract, settings)),
        1,
        List.of(),
        plan.casts(),
        -1,
        source,
        null);
  }

  /** The contract and the row filter decide what is read, so both are part of the fingerprint. */
  private static String inputHash(DataContract contract, IngestSettings settings) {
    String rowFilter = settings.rowFilter();
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
      SparkSession spark, String cleanPath, String reportPath, String fingerprint) {
    if (!Storages.of(spark).isFile(reportPath)) {
      return null;
    }
    Commit last;
    try {
      last = lastCommit(spark, cleanPath);
    } catch (IllegalStateException e) {
      return null; // no table (or no readable commit) there: write it
    }
    if (!(MARKER + fingerprint).equals(last.userMetadata())) {
      return null;
    }
    IngestReport r = report(reportPath);
    if (!fingerprint.equals(r.dataFingerprint())) {
      return null;
    }
    Map<String, Long> byReason = new TreeMap<>();
    if (r.details().get("quarantined_by_reason") instanceof Map<?, ?> reasons) {
      reasons.forEach((k, v) -> byReason.put(String.valueOf(k), ((Number) v).longValue()));
    }
    return new Result(
        r.rowsRead(),
        r.rowsClean(),
        r.rowsQuarantined(),
        byReason,
        ((Number) r.details().getOrDefault("files_ingested", 0)).intValue(),
        ((Number) r.details().getOrDefault("files_skipped", 0)).intValue(),
        fingerprint,
        r.contractHash(),
        cleanPath,
        r.cleanTableVersion(),
        reportPath,
        true,
        Map.of());
  }

  /** The ingest report at {@code location}, typed: what ingest hands the next stage. */
  public static IngestReport report(String location) {
    return IngestReport.fromJson(JsonFiles.read(location, "the ingest report", "ingest"), location);
  }

  /**
   * The last commit of a Delta table: its version, the rows it wrote, the statistics of the files
   * it added (null when any file has none) and its user metadata, read through Delta's own log API
   * ({@code DeltaLog.getChanges} on the driver, no Spark job).
   */
  private record Commit(
      long version, long rowsWritten, List<JsonNode> fileStats, String userMetadata) {}

  private static Commit lastCommit(SparkSession spark, String table) {
    try {
      DeltaLog log = DeltaLog.forTable(spark, table);
      long version = log.update(false, Option.empty(), Option.empty()).version();
      if (version < 0) {
        throw new IOException("no commit");
      }
      long rows = 0;
      String userMetadata = null;
      List<JsonNode> stats = new ArrayList<>();
      boolean allStats = true;
      for (Object action : SparkSql.commitActions(log, version)) {
        if (action instanceof CommitInfo info) {
          Option<String> n =
              info.operationMetrics().isDefined()
                  ? info.operationMetrics().get().get("numOutputRows")
                  : Option.empty();
          rows = n.isDefined() ? Long.parseLong(n.get()) : 0;
          userMetadata = info.userMetadata().isDefined() ? info.userMetadata().get() : null;
        } else if (action instanceof AddFile add) {
          if (add.stats() == null) {
            allStats = false;
          } else {
            stats.add(JSON.readTree(add.stats()));
          }
        }
      }
      return new Commit(version, rows, allStats ? stats : null, userMetadata);
    } catch (IOException | RuntimeException e) {
      throw new IllegalStateException(
          "Cannot read the last commit of the Delta table "
              + table
              + " ("
              + e.getMessage()
              + "); check that the table is readable and not being rewritten by another job",
          e);
    }
  }
}

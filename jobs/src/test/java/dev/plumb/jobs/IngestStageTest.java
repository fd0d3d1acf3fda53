package dev.plumb.jobs;

import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.plumb.features.ingest.DataContract;
import dev.plumb.features.ingest.IngestPlan;
import dev.plumb.features.ingest.IngestRun;
import dev.plumb.features.ingest.ParquetSource;
import dev.plumb.features.ingest.SourceFile;
import dev.plumb.features.io.JsonFiles;
import dev.plumb.jobs.tracking.NoTracking;
import dev.plumb.testing.SharedSpark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Ingest on a dirty fixture of Parquet shards, with exact counts. */
@ExtendWith(SharedSpark.class)
class IngestStageTest {

  static final String CONTRACT =
      String.join(
          "\n",
          "name: fixture",
          "keys: [id]",
          "label: {column: label, values: [0, 1]}",
          "columns:",
          "  - {name: id, type: long, nullable: false}",
          "  - {name: amount, type: double, nullable: false, min: 0}",
          "  - {name: qty, type: long, nullable: true}",
          "  - {name: age, type: int, nullable: true, source_type: string, min: 0, max: 120}",
          "  - {name: code, type: string, nullable: true, pattern: '[A-Z]{3}'}",
          "  - {name: city, type: string, nullable: true, allowed: [Oslo, Rome]}",
          "  - {name: label, type: int, nullable: false}");

  static final StructType SCHEMA =
      new StructType()
          .add("id", DataTypes.LongType)
          .add("amount", DataTypes.DoubleType)
          .add("qty", DataTypes.LongType)
          .add("age", DataTypes.StringType)
          .add("code", DataTypes.StringType)
          .add("city", DataTypes.StringType)
          .add("label", DataTypes.IntegerType);

  @TempDir Path tmp;
  Path root;
  Path contractFile;
  SparkSession spark;

  static Row row(
      long id, Double amount, Long qty, String age, String code, String city, int label) {
    return RowFactory.create(id, amount, qty, age, code, city, label);
  }

  void shard(String partition, List<Row> rows) {
    spark
        .createDataFrame(rows, SCHEMA)
        .coalesce(1)
        .write()
        .mode("overwrite")
        .parquet(root.resolve(partition).toString());
  }

  @BeforeEach
  void fixture(SparkSession session) throws Exception {
    spark = session;
    root = tmp.resolve("events");
    contractFile = tmp.resolve("contract.yaml");
    Files.writeString(contractFile, CONTRACT);
    List<Row> day1 = new ArrayList<>();
    day1.add(row(1, 10.0, 5L, "42", "ABC", "Oslo", 0)); // clean
    day1.add(row(2, null, 5L, "42", "ABC", "Oslo", 0)); // NULL_REQUIRED:amount
    day1.add(row(3, 10.0, 5L, "abc", "ABC", "Oslo", 0)); // TYPE_MISMATCH:age
    day1.add(row(4, -1.0, 5L, "42", "ABC", "Oslo", 0)); // OUT_OF_RANGE:amount
    day1.add(row(5, 10.0, 5L, "42", "ABC", "Paris", 0)); // NOT_ALLOWED:city
    day1.add(row(6, 10.0, 5L, "42", "abc1", "Oslo", 0)); // PATTERN_MISMATCH:code
    day1.add(row(7, Double.NaN, 5L, "42", "ABC", "Oslo", 0)); // NAN_OR_INF:amount
    day1.add(row(8, 10.0, 5L, "42", "ABC", "Oslo", 3)); // BAD_LABEL:label
    day1.add(row(9, 10.0, null, "N/A", "ABC", "NULL", 1)); // clean: null strings
    day1.add(row(10, 10.0, 5L, "42", "ABC", "Os\u0001lo", 1)); // BAD_ENCODING + NOT_ALLOWED
    shard("day=2026-11-01", day1);
    // Row 12 holds bytes that are not UTF-8 (0xC3 0x28): BAD_ENCODING + NOT_ALLOWED.
    spark
        .createDataFrame(day1.subList(0, 0), SCHEMA)
        .unionByName(
            spark.sql(
                "select 12L as id, 10.0D as amount, 5L as qty, '42' as age, 'ABC' as code,"
                    + " cast(unhex('C328') as string) as city, 0 as label"))
        .coalesce(1)
        .write()
        .mode("append")
        .parquet(root.resolve("day=2026-11-01").toString());
    shard(
        "day=2026-11-02",
        List.of(
            row(1, 10.0, 5L, "42", "ABC", "Oslo", 0), // DUPLICATE_KEY:id (a duplicated batch)
            row(13, 11.0, 6L, " 7 ", "XYZ", "Rome", 1), // clean ("7" with spaces parses)
            row(14, 12.0, 7L, null, null, null, 0))); // clean
    shard("day=2026-11-03", List.of()); // an empty partition: one file, zero rows
  }

  PlumbConfig config(String... sets) {
    List<String> all = new ArrayList<>();
    all.add("work_dir=" + tmp.resolve("work"));
    all.add("ingest.input=" + root);
    all.add("ingest.contract=" + contractFile);
    all.addAll(List.of(sets));
    return PlumbConfig.load(null, all, Map.of());
  }

  IngestRun.Result ingest(String... sets) {
    return IngestStage.run(spark, config(sets), new NoTracking());
  }

  @Test
  void everyReasonCodeIsCountedExactlyAndEveryRowIsAccountedFor() {
    IngestRun.Result r = ingest();
    assertThat(r.rowsRead()).isEqualTo(14);
    assertThat(r.rowsClean()).isEqualTo(4);
    assertThat(r.rowsQuarantined()).isEqualTo(10);
    assertThat(r.filesRead()).isEqualTo(4); // 2 files on day 1, 1 on day 2, 1 empty on day 3
    assertThat(r.quarantinedByReason())
        .isEqualTo(
            new TreeMap<>(
                Map.of(
                    "NULL_REQUIRED:amount", 1L,
                    "TYPE_MISMATCH:age", 1L,
                    "OUT_OF_RANGE:amount", 1L,
                    "NOT_ALLOWED:city", 3L,
                    "PATTERN_MISMATCH:code", 1L,
                    "NAN_OR_INF:amount", 1L,
                    "BAD_LABEL:label", 1L,
                    "BAD_ENCODING:city", 2L,
                    "DUPLICATE_KEY:id", 1L)));

    Dataset<Row> clean = spark.read().format("delta").load(r.cleanTable().toString());
    assertThat(clean.schema().apply("age").dataType()).isEqualTo(DataTypes.IntegerType);
    List<Long> ids =
        clean.select("id").orderBy("id").as(org.apache.spark.sql.Encoders.LONG()).collectAsList();
    assertThat(ids).containsExactly(1L, 9L, 13L, 14L);
    Row nine = clean.filter(col("id").equalTo(9)).select("age", "city", "day").first();
    assertThat(nine.isNullAt(0)).isTrue();
    assertThat(nine.isNullAt(1)).isTrue();
    assertThat(nine.get(2).toString()).isEqualTo("2026-11-01");
    assertThat(clean.filter(col("id").equalTo(13)).select("age").first().getInt(0)).isEqualTo(7);
    // The kept copy of key 1 is the first one, from the day-1 file.
    assertThat(clean.filter(col("id").equalTo(1)).select("day").first().get(0).toString())
        .isEqualTo("2026-11-01");

    Dataset<Row> quarantine =
        spark.read().format("delta").load(tmp.resolve("work/tables/quarantine").toString());
    Row three = quarantine.filter(col("id").equalTo(3)).first();
    assertThat(three.<String>getAs("age")).isEqualTo("abc"); // the original value is kept
    assertThat(three.<String>getAs(ParquetSource.SOURCE_FILE)).contains("day=2026-11-01");
    assertThat(three.<String>getAs(IngestRun.RUN_ID)).isNotBlank();
    assertThat(three.getList(three.fieldIndex("reasons"))).containsExactly("TYPE_MISMATCH:age");
    Row dup = quarantine.filter(col("id").equalTo(1)).first();
    assertThat(dup.<String>getAs(ParquetSource.SOURCE_FILE)).contains("day=2026-11-02");

    Map<String, Object> report = JsonFiles.read(r.report(), "report", "ingest");
    assertThat(report.get("rows_read")).isEqualTo(14);
    @SuppressWarnings("unchecked")
    Map<String, Object> timings = (Map<String, Object>) report.get("timings_s");
    assertThat(timings)
        .containsOnlyKeys("list_and_plan", "duplicate_keys", "clean_pass", "quarantine", "total");
    assertThat(((Number) timings.get("total")).doubleValue())
        .isGreaterThanOrEqualTo(((Number) timings.get("clean_pass")).doubleValue())
        .isGreaterThan(0.0);
    @SuppressWarnings("unchecked")
    Map<String, Map<String, Object>> columns =
        (Map<String, Map<String, Object>>) report.get("columns");
    assertThat(columns.get("amount").get("null_count")).isEqualTo(1);
    assertThat(columns.get("amount").get("min")).isEqualTo(-1.0);
    assertThat(columns.get("amount").get("max")).isEqualTo(12.0);
    // Statistics of the cleaned values of every row read (clean and quarantined), NaN left out:
    // 12 finite amounts summing to 112.
    assertThat(columns.get("amount").get("mean")).isEqualTo(112.0 / 12);
    assertThat(columns.get("qty").get("null_count")).isEqualTo(1);
    assertThat(columns.get("qty").get("min")).isEqualTo(5.0);
    assertThat(columns.get("qty").get("max")).isEqualTo(7.0);
    // "abc" does not parse, "N/A" is a null string, and row 14 holds null.
    assertThat(columns.get("age").get("null_count")).isEqualTo(3);
    assertThat(columns.get("age").get("min")).isEqualTo(7.0);
    assertThat(columns.get("age").get("max")).isEqualTo(42.0);
    assertThat(columns.get("city").get("null_count")).isEqualTo(2);
    assertThat(columns.get("city")).doesNotContainKey("min");
    assertThat(columns.get("label").get("max")).isEqualTo(3.0);
  }

  /** What a run quarantined, row by row: id, reasons and source file. */
  List<String> quarantined(String workDir) {
    return spark
        .read()
        .format("delta")
        .load(tmp.resolve(workDir + "/tables/quarantine").toString())
        .orderBy("id", ParquetSource.SOURCE_FILE)
        .collectAsList()
        .stream()
        .map(
            q ->
                q.getAs("id")
                    + " "
                    + q.getList(q.fieldIndex("reasons"))
                    + " "
                    + q.<String>getAs(ParquetSource.SOURCE_FILE))
        .toList();
  }

  @Test
  void theSecondPassAndTheAggregationFallbacksGiveTheSameTables() {
    // Default: bad rows gathered during the clean pass, duplicate keys found by key hashes.
    IngestRun.Result gathered = ingest("work_dir=" + tmp.resolve("a"));
    // More bad rows than may be held: they are read again in a second pass.
    IngestRun.Result reread =
        ingest("work_dir=" + tmp.resolve("b"), "ingest.max_gathered_bad_rows=3");
    // A row filter: rows are counted while read, duplicates found by an aggregation.
    IngestRun.Result aggregated =
        ingest("work_dir=" + tmp.resolve("c"), "ingest.row_filter=id > 0");
    List<String> expected = quarantined("a");
    assertThat(expected).hasSize(10);
    assertThat(expected)
        .anyMatch(q -> q.startsWith("1 [DUPLICATE_KEY:id]") && q.contains("day=2026-11-02"));
    for (IngestRun.Result r : List.of(reread, aggregated)) {
      assertThat(r.rowsRead()).isEqualTo(14);
      assertThat(r.rowsClean()).isEqualTo(gathered.rowsClean()).isEqualTo(4);
      assertThat(r.rowsQuarantined()).isEqualTo(10);
      assertThat(r.quarantinedByReason()).isEqualTo(gathered.quarantinedByReason());
    }
    assertThat(quarantined("b")).isEqualTo(expected);
    assertThat(quarantined("c")).isEqualTo(expected);
    for (String work : List.of("a", "b", "c")) {
      assertThat(
              spark
                  .read()
                  .format("delta")
                  .load(tmp.resolve(work + "/tables/clean").toString())
                  .select("id")
                  .orderBy("id")
                  .as(org.apache.spark.sql.Encoders.LONG())
                  .collectAsList())
          .containsExactly(1L, 9L, 13L, 14L);
    }
  }

  @Test
  void aRerunOnUnchangedInputRewritesNothingAndAChangedFileIsANewFingerprint() throws Exception {
    IngestRun.Result first = ingest();
    IngestRun.Result second = ingest();
    assertThat(second.unchanged()).isTrue();
    assertThat(second.fingerprint()).isEqualTo(first.fingerprint());
    assertThat(second.cleanVersion()).isEqualTo(first.cleanVersion());
    assertThat(spark.read().format("delta").load(first.cleanTable().toString()).count())
        .isEqualTo(4);

    // A new modification time alone is the same data: the fingerprint is the files' content
    // (footer digests), not their timestamps or location.
    Path day2 = onlyFile("day=2026-11-02");
    Files.setLastModifiedTime(
        day2,
        java.nio.file.attribute.FileTime.fromMillis(
            Files.getLastModifiedTime(day2).toMillis() + 5000));
    IngestRun.Result touched = ingest();
    assertThat(touched.unchanged()).isTrue();
    assertThat(touched.fingerprint()).isEqualTo(first.fingerprint());

    // The same rows written again with another codec: a changed file, a new fingerprint.
    String day2Dir = root.resolve("day=2026-11-02").toString();
    Dataset<Row> again = spark.read().parquet(day2Dir);
    List<Row> rows = again.collectAsList();
    spark
        .createDataFrame(rows, again.schema())
        .coalesce(1)
        .write()
        .mode("overwrite")
        .option("compression", "gzip")
        .parquet(day2Dir);
    IngestRun.Result third = ingest();
    assertThat(third.unchanged()).isFalse();
    assertThat(third.fingerprint()).isNotEqualTo(first.fingerprint());
    assertThat(third.cleanVersion()).isEqualTo(first.cleanVersion() + 1);
    assertThat(third.rowsClean()).isEqualTo(4);
  }

  @Test
  void aShardWhoseColumnChangedTypeFailsBeforeWritingUnlessTheWideningIsAllowed() throws Exception {
    spark
        .sql(
            "select 20L as id, 1.0D as amount, 3 as qty, '30' as age, 'ABC' as code,"
                + " 'Rome' as city, 0 as label")
        .coalesce(1)
        .write()
        .parquet(root.resolve("day=2026-11-04").toString());
    Path drifted = onlyFile("day=2026-11-04");
    assertThatThrownBy(this::ingest)
        .hasMessageContaining("Cannot ingest: 1 problem(s)")
        .hasMessageContaining(drifted.getFileName().toString())
        .hasMessageContaining("column 'qty' is int but the contract says long")
        .hasMessageContaining("drift_policy: cast");
    assertThat(tmp.resolve("work/tables/clean")).doesNotExist();

    Files.writeString(contractFile, CONTRACT + "\ndrift_policy: cast\n");
    IngestRun.Result r = ingest();
    assertThat(r.rowsRead()).isEqualTo(15);
    assertThat(r.rowsClean()).isEqualTo(5);
    Row widened =
        spark
            .read()
            .format("delta")
            .load(r.cleanTable().toString())
            .filter(col("id").equalTo(20))
            .select("qty")
            .first();
    assertThat(widened.getLong(0)).isEqualTo(3L);
  }

  @Test
  void stringTypedNumbersInAShardAreNotASafeWidening() {
    spark
        .sql(
            "select 21L as id, '1.5' as amount, 3L as qty, '30' as age, 'ABC' as code,"
                + " 'Rome' as city, 0 as label")
        .coalesce(1)
        .write()
        .parquet(root.resolve("day=2026-11-05").toString());
    assertThatThrownBy(() -> ingest())
        .hasMessageContaining("column 'amount' is string but the contract says double");
  }

  @Test
  void aTruncatedFileFailsTheIngestOrIsSkippedAndCountedWhenAskedTo() throws Exception {
    Path good = onlyFile("day=2026-11-02");
    Path truncated = root.resolve("day=2026-11-02").resolve("part-truncated.parquet");
    byte[] bytes = Files.readAllBytes(good);
    Files.write(truncated, java.util.Arrays.copyOf(bytes, bytes.length / 2));
    assertThatThrownBy(this::ingest)
        .hasMessageContaining("part-truncated.parquet: unreadable")
        .hasMessageContaining("ingest.unreadable_files=skip");

    IngestRun.Result r = ingest("ingest.unreadable_files=skip");
    assertThat(r.filesSkipped()).isEqualTo(1);
    assertThat(r.filesRead()).isEqualTo(4);
    assertThat(r.rowsRead()).isEqualTo(14);
    Map<String, Object> report = JsonFiles.read(r.report(), "report", "ingest");
    assertThat(report.get("files_read")).isEqualTo(5);
    assertThat(report.get("skipped_files").toString()).contains("part-truncated.parquet");
  }

  @Test
  void partitionFiltersPruneFilesBeforeReadingAndShowInThePhysicalPlan() throws Exception {
    DataContract contract = IngestStage.contract(config());
    List<SourceFile> listed = ParquetSource.list(spark, List.of(root.toString()));
    List<SourceFile> pruned = ParquetSource.prune(spark, listed, "day >= '2026-11-02'");
    assertThat(listed).hasSize(4);
    assertThat(pruned)
        .hasSize(2)
        .allSatisfy(f -> assertThat(f.path()).doesNotContain("day=2026-11-01"));
    Dataset<Row> data =
        ParquetSource.read(
            spark,
            IngestPlan.of(pruned, contract, IngestPlan.UnreadablePolicy.FAIL).ingest(),
            contract,
            "day >= '2026-11-02'");
    String plan = data.queryExecution().executedPlan().toString();
    assertThat(plan).contains("PartitionFilters: [").contains("day");
    assertThat(data.inputFiles()).hasSize(2);

    assertThat(ingest().rowsQuarantined()).isEqualTo(10);
    IngestRun.Result r = ingest("ingest.partition_filter=day >= '2026-11-02'");
    assertThat(r.rowsRead()).isEqualTo(3);
    assertThat(r.filesRead()).isEqualTo(2);
    // The duplicate of key 1 has no earlier copy inside the filtered input: it is clean here.
    assertThat(r.rowsClean()).isEqualTo(3);
    assertThat(r.rowsQuarantined()).isZero();
    assertThat(r.quarantinedByReason()).isEmpty();
    // No bad rows: the quarantine pass is skipped, but the last run's bad rows do not linger.
    assertThat(
            spark
                .read()
                .format("delta")
                .load(tmp.resolve("work/tables/quarantine").toString())
                .count())
        .isZero();
    Map<String, Object> report = JsonFiles.read(r.report(), "report", "ingest");
    @SuppressWarnings("unchecked")
    Map<String, Map<String, Object>> columns =
        (Map<String, Map<String, Object>>) report.get("columns");
    assertThat(columns.get("amount").get("min")).isEqualTo(10.0);
    assertThat(columns.get("amount").get("mean")).isEqualTo(11.0);
    assertThat(columns.get("age").get("null_count")).isEqualTo(1);
  }

  @Test
  void aDeltaInputIsReadAtAPinnedVersionOrTheLatest() {
    Path table = tmp.resolve("delta-in");
    Dataset<Row> v0 = spark.read().parquet(root.resolve("day=2026-11-02").toString());
    v0.write().format("delta").save(table.toString());
    spark
        .sql(
            "select 30L as id, 1.0D as amount, 3L as qty, '30' as age, 'ABC' as code,"
                + " 'Rome' as city, 0 as label")
        .write()
        .format("delta")
        .mode("append")
        .save(table.toString());
    IngestRun.Result pinned =
        ingest("ingest.format=delta", "ingest.input=" + table, "ingest.delta_version=0");
    assertThat(pinned.rowsRead()).isEqualTo(3);
    assertThat(pinned.rowsClean()).isEqualTo(3);
    IngestRun.Result latest = ingest("ingest.format=delta", "ingest.input=" + table);
    assertThat(latest.rowsRead()).isEqualTo(4);
    assertThat(latest.fingerprint()).isNotEqualTo(pinned.fingerprint());
    IngestRun.Result asOfNow =
        ingest(
            "ingest.format=delta",
            "ingest.input=" + table,
            "ingest.delta_timestamp=2100-01-01 00:00:00");
    assertThat(asOfNow.rowsRead()).isEqualTo(4);
    assertThat(asOfNow.fingerprint()).isEqualTo(latest.fingerprint());
  }

  @Test
  void twoConcurrentRunsLeaveConsistentTables() throws Exception {
    CompletableFuture<Object> a = CompletableFuture.supplyAsync(() -> safely(this::ingest));
    CompletableFuture<Object> b = CompletableFuture.supplyAsync(() -> safely(this::ingest));
    List<Object> outcomes = List.of(a.get(), b.get());
    assertThat(outcomes).anySatisfy(o -> assertThat(o).isInstanceOf(IngestRun.Result.class));
    for (Object o : outcomes) {
      if (o instanceof Throwable t) {
        assertThat(IngestRun.concurrentWrite(t)).as(t.toString()).isTrue();
        assertThat(t).hasMessageContaining("at the same time");
      }
    }
    assertThat(
            spark.read().format("delta").load(tmp.resolve("work/tables/clean").toString()).count())
        .isEqualTo(4);
    assertThat(
            spark
                .read()
                .format("delta")
                .load(tmp.resolve("work/tables/quarantine").toString())
                .count())
        .isEqualTo(10);
  }

  private static Object safely(java.util.function.Supplier<Object> step) {
    try {
      return step.get();
    } catch (RuntimeException e) {
      return e;
    }
  }

  private Path onlyFile(String partition) throws Exception {
    try (Stream<Path> s = Files.list(root.resolve(partition))) {
      return s.filter(p -> p.getFileName().toString().startsWith("part-"))
          .findFirst()
          .orElseThrow();
    }
  }
}

package dev.plumb.features.io;

import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;

import dev.plumb.testing.SharedSpark;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(SharedSpark.class)
class ScanDeltaTest {

  @TempDir Path tmp;

  private static Dataset<Row> rows(SparkSession spark, String split, long from, long to) {
    return spark.range(from, to).selectExpr("id", "'" + split + "' AS split", "id * 0.5 AS x");
  }

  private static List<Long> ids(Dataset<Row> rows) {
    return rows.orderBy("id").select("id").as(org.apache.spark.sql.Encoders.LONG()).collectAsList();
  }

  private static String scan(Dataset<Row> rows) {
    return rows.queryExecution().executedPlan().toString();
  }

  @Test
  void readsTheCurrentVersionsFilesThatTheFilterKeepsAsPlainParquet(SparkSession spark) {
    String table = tmp.resolve("t").toString();
    // Version 0, replaced by version 1: its file stays on disk and must not be read.
    rows(spark, "train", 100, 110).coalesce(1).write().format("delta").save(table);
    rows(spark, "train", 0, 6).coalesce(1).write().format("delta").mode("overwrite").save(table);
    rows(spark, "test", 6, 9).coalesce(1).write().format("delta").mode("append").save(table);
    Column isTrain = col("split").equalTo("train");

    Dataset<Row> train = SparkSql.scanDelta(spark, table, isTrain);

    assertThat(ids(train)).containsExactly(0L, 1L, 2L, 3L, 4L, 5L);
    assertThat(train.columns()).containsExactly("id", "split", "x");
    // One file: the test split's file is skipped on its statistics, version 0's is not current.
    assertThat(train.inputFiles()).hasSize(1);
    assertThat(scan(train)).contains("InMemoryFileIndex").doesNotContain("DeltaFileIndex");
    assertThat(ids(SparkSql.scanDelta(spark, table, col("split").equalTo("test"))))
        .containsExactly(6L, 7L, 8L);
    assertThat(SparkSql.scanDelta(spark, table, col("split").equalTo("none")).count()).isZero();
  }

  @Test
  void aTableOfOneCommitIsReadFromItsLogWithoutASparkJob(SparkSession spark) {
    String table = tmp.resolve("one").toString();
    // Version 0 only, 3 files: train rows 0-5, test rows 6-8, a mix of train and validation.
    rows(spark, "train", 0, 6)
        .coalesce(1)
        .union(rows(spark, "test", 6, 9).coalesce(1))
        .union(rows(spark, "train", 9, 11).union(rows(spark, "validation", 11, 13)).coalesce(1))
        .write()
        .format("delta")
        .save(table);
    String group = "scan-delta-where-equals";
    spark.sparkContext().setJobGroup(group, group, false);
    List<Dataset<Row>> splits;
    try {
      splits =
          SparkSql.scanDeltaWhereEquals(
              spark, table, "split", List.of("train", "validation", "test", "none"));
    } finally {
      spark.sparkContext().clearJobGroup();
    }
    assertThat(spark.sparkContext().statusTracker().getJobIdsForGroup(group)).isEmpty();

    assertThat(ids(splits.get(0))).containsExactly(0L, 1L, 2L, 3L, 4L, 5L, 9L, 10L);
    assertThat(ids(splits.get(1))).containsExactly(11L, 12L);
    assertThat(ids(splits.get(2))).containsExactly(6L, 7L, 8L);
    assertThat(splits.get(3).count()).isZero();
    assertThat(splits.get(0).columns()).containsExactly("id", "split", "x");
    assertThat(splits.get(0).schema()).isEqualTo(spark.read().format("delta").load(table).schema());
    // Each split reads the files its statistics do not rule out, as plain Parquet.
    assertThat(splits.get(0).inputFiles()).hasSize(2);
    assertThat(splits.get(1).inputFiles()).hasSize(1);
    assertThat(splits.get(2).inputFiles()).hasSize(1);
    assertThat(scan(splits.get(0))).contains("InMemoryFileIndex").doesNotContain("DeltaFileIndex");
    for (String split : List.of("train", "validation", "test")) {
      assertThat(
              SparkSql.scanDeltaWhereEquals(spark, table, "split", List.of(split))
                  .get(0)
                  .inputFiles())
          .containsExactlyInAnyOrder(
              SparkSql.scanDelta(spark, table, col("split").equalTo(split)).inputFiles());
    }
  }

  @Test
  void aTableOfSeveralCommitsIsScannedAsScanDeltaScansIt(SparkSession spark) {
    String table = tmp.resolve("several").toString();
    rows(spark, "train", 0, 4).coalesce(1).write().format("delta").save(table);
    rows(spark, "test", 4, 6).coalesce(1).write().format("delta").mode("append").save(table);
    List<Dataset<Row>> splits =
        SparkSql.scanDeltaWhereEquals(spark, table, "split", List.of("train", "test"));
    assertThat(ids(splits.get(0))).containsExactly(0L, 1L, 2L, 3L);
    assertThat(ids(splits.get(1))).containsExactly(4L, 5L);
    assertThat(splits.get(0).inputFiles()).hasSize(1);
    assertThat(SparkSql.scanSingleCommit(spark, table, "split", List.of("train"))).isNull();
  }

  @Test
  void aFilesStatisticsRuleAValueOutOnlyWhenTheyProveIt() throws Exception {
    com.fasterxml.jackson.databind.ObjectMapper json =
        new com.fasterxml.jackson.databind.ObjectMapper();
    java.util.function.Function<String, com.fasterxml.jackson.databind.JsonNode> stats =
        text -> {
          try {
            return json.readTree(text);
          } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
          }
        };
    String range =
        "{\"numRecords\":5,\"minValues\":{\"s\":\"test\"},\"maxValues\":{\"s\":\"train\"},"
            + "\"nullCount\":{\"s\":0}}";
    assertThat(SparkSql.mayHold(stats.apply(range), "s", "test")).isTrue();
    assertThat(SparkSql.mayHold(stats.apply(range), "s", "tr")).isTrue();
    assertThat(SparkSql.mayHold(stats.apply(range), "s", "train")).isTrue();
    assertThat(SparkSql.mayHold(stats.apply(range), "s", "validation")).isFalse();
    assertThat(SparkSql.mayHold(stats.apply(range), "s", "a")).isFalse();
    assertThat(SparkSql.mayHold(stats.apply(range), "other", "validation")).isTrue();
    assertThat(SparkSql.mayHold(null, "s", "validation")).isTrue();
    assertThat(SparkSql.mayHold(stats.apply("{\"numRecords\":0}"), "s", "test")).isFalse();
    assertThat(
            SparkSql.mayHold(
                stats.apply("{\"numRecords\":3,\"nullCount\":{\"s\":3}}"), "s", "test"))
        .isFalse();
    // Delta truncates long strings' statistics, and compares bytes, not Java's UTF-16 units.
    String longMax = "t".repeat(40);
    assertThat(
            SparkSql.mayHold(
                stats.apply(
                    "{\"numRecords\":5,\"minValues\":{\"s\":\"a\"},\"maxValues\":{\"s\":\""
                        + longMax
                        + "\"}}"),
                "s",
                "zzz"))
        .isTrue();
    assertThat(
            SparkSql.mayHold(
                stats.apply(
                    "{\"numRecords\":5,\"minValues\":{\"s\":\"a\"},\"maxValues\":{\"s\":\"b\"}}"),
                "s",
                "\u00e9"))
        .isTrue();
  }

  @Test
  void partitionedTablesAndDeletionVectorsAreReadThroughDelta(SparkSession spark) {
    String partitioned = tmp.resolve("p").toString();
    rows(spark, "train", 0, 4)
        .union(rows(spark, "test", 4, 6))
        .write()
        .format("delta")
        .partitionBy("split")
        .save(partitioned);
    Dataset<Row> train = SparkSql.scanDelta(spark, partitioned, col("split").equalTo("train"));
    assertThat(ids(train)).containsExactly(0L, 1L, 2L, 3L);
    // One commit, but partitioned: its files alone are not its rows.
    assertThat(SparkSql.scanSingleCommit(spark, partitioned, "split", List.of("train"))).isNull();
    Dataset<Row> oneCommit =
        SparkSql.scanDeltaWhereEquals(spark, partitioned, "split", List.of("train")).get(0);
    assertThat(ids(oneCommit)).containsExactly(0L, 1L, 2L, 3L);
    assertThat(scan(oneCommit)).contains("DeltaFileIndex");
    assertThat(train.select("split").distinct().collectAsList())
        .extracting(r -> r.getString(0))
        .containsExactly("train");
    assertThat(scan(train)).contains("DeltaFileIndex");

    String deleted = tmp.resolve("dv").toString();
    rows(spark, "train", 0, 8)
        .coalesce(1)
        .write()
        .format("delta")
        .option("delta.enableDeletionVectors", "true")
        .save(deleted);
    spark.sql("DELETE FROM delta.`" + deleted + "` WHERE id % 2 = 0");
    Dataset<Row> left = SparkSql.scanDelta(spark, deleted, col("split").equalTo("train"));
    assertThat(ids(left)).containsExactly(1L, 3L, 5L, 7L);
    assertThat(scan(left)).contains("DeltaFileIndex");
  }

  @Test
  void aPathWithAGlobCharacterIsReadThroughDelta(SparkSession spark) {
    String table = tmp.resolve("set[1]").toString();
    rows(spark, "train", 0, 3).write().format("delta").save(table);
    Dataset<Row> train = SparkSql.scanDelta(spark, table, col("split").equalTo("train"));
    assertThat(ids(train)).containsExactly(0L, 1L, 2L);
    assertThat(scan(train)).contains("DeltaFileIndex");
  }
}

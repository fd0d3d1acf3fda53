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

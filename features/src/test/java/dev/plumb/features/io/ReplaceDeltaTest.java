package dev.plumb.features.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.plumb.testing.SharedSpark;
import io.delta.tables.DeltaTable;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(SharedSpark.class)
class ReplaceDeltaTest {

  @TempDir Path tmp;

  @Test
  void aNewTableIsCreatedWithoutOverwriteAndAnExistingOneIsReplacedSchemaToo(SparkSession spark) {
    String table = tmp.resolve("t").toString();
    SparkSql.replaceDelta(
        spark.range(5).toDF("id"), table, Map.of("userMetadata", "plumb-test:first"));
    SparkSql.replaceDelta(
        spark.range(3).selectExpr("cast(id * 10 as string) AS name"), table, Map.of());

    Dataset<Row> now = spark.read().format("delta").load(table);
    assertThat(now.columns()).containsExactly("name");
    assertThat(now.orderBy("name").collectAsList())
        .extracting(r -> r.getString(0))
        .containsExactly("0", "10", "20");
    assertThat(spark.read().format("delta").option("versionAsOf", 0).load(table).count())
        .isEqualTo(5);

    List<Row> history =
        DeltaTable.forPath(spark, table)
            .history()
            .orderBy("version")
            .select("version", "operationParameters", "userMetadata")
            .collectAsList();
    assertThat(history).hasSize(2);
    // The first write created the table: no files to replace, so not an overwrite.
    assertThat(history.get(0).getJavaMap(1).get("mode")).isEqualTo("ErrorIfExists");
    assertThat(history.get(0).getString(2)).isEqualTo("plumb-test:first");
    assertThat(history.get(1).getJavaMap(1).get("mode")).isEqualTo("Overwrite");
  }

  @Test
  void aTableCreatedByAnotherWriterMeanwhileFailsTheCreateNamingThePath(SparkSession spark) {
    String table = tmp.resolve("raced").toString();
    Dataset<Row> rows = spark.range(4).toDF("id");
    // What replaceDelta does for a path without a log, after another writer created the table.
    spark.range(2).toDF("id").write().format("delta").save(table);
    assertThatThrownBy(() -> rows.write().format("delta").mode("errorifexists").save(table))
        .hasMessageContaining("DELTA_PATH_EXISTS")
        .hasMessageContaining(table);
    assertThat(spark.read().format("delta").load(table).count()).isEqualTo(2);
  }
}

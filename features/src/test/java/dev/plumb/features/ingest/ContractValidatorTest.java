package dev.plumb.features.ingest;

import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.plumb.testing.SharedSpark;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(SharedSpark.class)
class ContractValidatorTest {

  static final String CONTRACT =
      String.join(
          "\n",
          "name: people",
          "label: {column: label, values: [0, 1]}",
          "keys: [id]",
          "columns:",
          "  - {name: id, type: long, nullable: false}",
          "  - {name: age, type: int, nullable: false, min: 0, max: 120}",
          "  - {name: score, type: double, nullable: true}",
          "  - {name: city, type: string, nullable: true, allowed: [Oslo, Rome]}",
          "  - {name: label, type: int, nullable: false}");

  static final StructType SCHEMA =
      new StructType()
          .add("id", DataTypes.LongType)
          .add("age", DataTypes.IntegerType)
          .add("score", DataTypes.DoubleType)
          .add("city", DataTypes.StringType)
          .add("label", DataTypes.IntegerType);

  static Dataset<Row> people(SparkSession spark) {
    return spark.createDataFrame(
        List.of(
            RowFactory.create(1L, 30, 0.5, "Oslo", 1),
            RowFactory.create(2L, null, 0.5, "Rome", 0),
            RowFactory.create(3L, 130, Double.NaN, "Oslo", 0),
            RowFactory.create(4L, 40, 1.0, "Paris", 2),
            RowFactory.create(5L, 50, null, "NULL", 0),
            RowFactory.create(6L, -1, Double.POSITIVE_INFINITY, "N/A", null)),
        SCHEMA);
  }

  @Test
  void everyReasonOfEveryRowIsListed(SparkSession spark) {
    DataContract contract = DataContract.parse(CONTRACT, "test");
    Dataset<Row> annotated = new ContractValidator(contract).annotate(people(spark), null);
    Map<Long, List<String>> reasons = new TreeMap<>();
    for (Row r : annotated.select(col("id"), col(ContractValidator.REASONS)).collectAsList()) {
      reasons.put(r.getLong(0), r.getList(1));
    }
    assertThat(reasons.get(1L)).isEmpty();
    assertThat(reasons.get(2L)).containsExactly("NULL_REQUIRED:age");
    assertThat(reasons.get(3L)).containsExactlyInAnyOrder("OUT_OF_RANGE:age", "NAN_OR_INF:score");
    assertThat(reasons.get(4L)).containsExactlyInAnyOrder("NOT_ALLOWED:city", "BAD_LABEL:label");
    assertThat(reasons.get(5L)).isEmpty(); // "NULL" is a null string, and city is nullable
    assertThat(reasons.get(6L))
        .containsExactlyInAnyOrder(
            "OUT_OF_RANGE:age", "NAN_OR_INF:score", "NULL_REQUIRED:label", "BAD_LABEL:label");
    ContractValidator validator = new ContractValidator(contract);
    Dataset<Row> clean = annotated.select(validator.cleanColumns(List.of()));
    Row five = clean.filter(col("id").equalTo(5L)).select("city").first();
    assertThat(five.isNullAt(0)).isTrue();
    // The quarantine keeps the original value.
    Row raw =
        annotated
            .select(validator.quarantineColumns(List.of()))
            .filter(col("id").equalTo(5L))
            .first();
    assertThat(raw.<String>getAs("city")).isEqualTo("NULL");
  }

  @Test
  void schemaCheckNamesMissingColumnsAndWrongTypesBeforeAnyJob(SparkSession spark) {
    DataContract contract = DataContract.parse(CONTRACT, "test");
    ContractValidator validator = new ContractValidator(contract);
    StructType missing = new StructType().add("id", DataTypes.LongType);
    assertThatThrownBy(() -> validator.checkSchema(missing, "shard-7"))
        .hasMessageContaining("Cannot check the data contract 'people'")
        .hasMessageContaining("[age, score, city, label]")
        .hasMessageContaining("shard-7");
    StructType drifted = SCHEMA.add("extra", DataTypes.StringType); // extra columns are allowed
    validator.checkSchema(drifted, "ok");
    StructType wrong =
        new StructType()
            .add("id", DataTypes.LongType)
            .add("age", DataTypes.StringType)
            .add("score", DataTypes.DoubleType)
            .add("city", DataTypes.StringType)
            .add("label", DataTypes.IntegerType);
    assertThatThrownBy(() -> validator.checkSchema(wrong, "part-0001.parquet"))
        .hasMessageContaining("column 'age' must be of type int but was string")
        .hasMessageContaining("part-0001.parquet");
  }

  @Test
  void contractYamlRejectsUnknownKeysAndTypesAndHashesItsRules() {
    assertThatThrownBy(
            () ->
                DataContract.parse(
                    CONTRACT.replace("nullable: false, min", "nulable: false, min"), "c.yaml"))
        .hasMessageContaining("unknown key 'nulable'")
        .hasMessageContaining("column 'age'")
        .hasMessageContaining("nullable");
    assertThatThrownBy(
            () -> DataContract.parse(CONTRACT.replace("type: long", "type: bigint"), "c.yaml"))
        .hasMessageContaining("unknown type 'bigint'")
        .hasMessageContaining("long");
    DataContract a = DataContract.parse(CONTRACT, "a");
    DataContract b = DataContract.parse(CONTRACT, "b");
    DataContract c = DataContract.parse(CONTRACT.replace("max: 120", "max: 110"), "c");
    assertThat(a.hash()).isEqualTo(b.hash()).hasSize(64);
    assertThat(c.hash()).isNotEqualTo(a.hash());
  }

  @Test
  void keyHashesAreChunkedByTheFileSparkReadThemFrom(
      SparkSession spark, @org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) {
    // Three files; key 7 is in the first and the third.
    for (long[] ids : new long[][] {{1, 2, 7}, {3, 4}, {7, 5}}) {
      spark
          .range(ids.length)
          .selectExpr("element_at(array(" + join(ids) + "), cast(id + 1 as int)) as id")
          .coalesce(1)
          .write()
          .mode("append")
          .parquet(tmp.resolve("t").toString());
    }
    List<KeyHashes.Chunk> chunks =
        spark
            .read()
            .parquet(tmp.resolve("t").toString())
            .select(org.apache.spark.sql.functions.xxhash64(col("id")))
            .as(org.apache.spark.sql.Encoders.LONG())
            .javaRDD()
            .mapPartitions(KeyHashes::sortedChunks)
            .collect();
    assertThat(chunks).hasSize(3);
    assertThat(chunks).allMatch(c -> c.file().endsWith(".parquet"));
    assertThat(chunks.stream().map(KeyHashes.Chunk::file).distinct()).hasSize(3);
    long[] repeated = KeyHashes.repeated(chunks.stream().map(KeyHashes.Chunk::sorted).toList());
    assertThat(repeated).hasSize(1);
    java.util.Set<String> files = KeyHashes.filesHolding(chunks, repeated);
    assertThat(files).hasSize(2);
    for (String f : files) {
      long[] idsInFile =
          spark
              .read()
              .parquet(f)
              .select("id")
              .as(org.apache.spark.sql.Encoders.LONG())
              .collectAsList()
              .stream()
              .mapToLong(Long::longValue)
              .toArray();
      assertThat(idsInFile).contains(7L);
    }
    assertThat(KeyHashes.occurrences(chunks, repeated)).isEqualTo(2);
  }

  private static String join(long[] ids) {
    return java.util.Arrays.stream(ids)
        .mapToObj(i -> i + "L")
        .collect(java.util.stream.Collectors.joining(", "));
  }
}

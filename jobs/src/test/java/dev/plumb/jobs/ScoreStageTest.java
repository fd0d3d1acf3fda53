package dev.plumb.jobs;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.plumb.features.FittedTransform;
import dev.plumb.features.Splits;
import dev.plumb.features.ingest.IngestRun;
import dev.plumb.features.store.FeatureStore;
import dev.plumb.jobs.tracking.NoTracking;
import dev.plumb.testing.SharedSpark;
import dev.plumb.training.ModelFiles;
import dev.plumb.training.ModelMetadata;
import dev.plumb.training.ModelStore;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code plumb score} on raw rows: the same probabilities as the evaluation's scorer on the feature
 * set, SHAP contributions that sum to the margin, and malformed rows quarantined while the rest are
 * scored.
 */
@ExtendWith(SharedSpark.class)
class ScoreStageTest {

  @TempDir Path tmp;

  @Test
  void scoresRawRowsAsEvaluationDoesAndQuarantinesMalformedOnes(SparkSession spark) {
    PlumbConfig config = FeaturesStageTest.demoConfig(spark, tmp, 6000, 7, "train.num_round=20");
    IngestRun.Result ingest = IngestStage.run(spark, config, new NoTracking());
    FeaturesStage.Result features = FeaturesStage.run(spark, config, new NoTracking());
    TrainStage.Result trained = TrainStage.run(spark, config, new NoTracking());
    ModelStore models = TrainStage.modelStore(config);
    ModelMetadata meta = models.metadata(trained.modelDir());

    // The evaluation's scores: the feature set's test rows through the booster.
    Dataset<Row> table = spark.read().format("delta").load(FeatureStore.data(features.directory()));
    Map<Long, Double> expected = new HashMap<>();
    for (Row r :
        ModelFiles.score(
                models.booster(trained.modelDir()),
                meta.featureNames(),
                table.filter(col(Splits.COLUMN).equalTo(Splits.TEST)),
                meta.iterationEnd())
            .select("id", ModelFiles.SCORE)
            .collectAsList()) {
      expected.put(r.getLong(0), r.getDouble(1));
    }

    // Score the raw clean rows (the rows the feature set was built from), with every contribution.
    String out = tmp.resolve("scored").toString();
    int k = meta.featureNames().size();
    ScoreStage.Result r =
        ScoreStage.run(
            spark, config, new NoTracking(), trained.modelDir(), ingest.cleanTable(), out, k);
    assertThat(r.rowsQuarantined()).isZero();
    assertThat(r.rowsScored()).isEqualTo(ingest.rowsClean());
    assertThat(r.threshold()).isEqualTo(meta.threshold());
    Dataset<Row> scored = spark.read().format("delta").load(out);
    int compared = 0;
    for (Row row :
        scored
            .select(
                "id",
                ScoreStage.PROBABILITY,
                ScoreStage.DECISION,
                ModelFiles.MARGIN,
                ModelFiles.BIAS,
                ModelFiles.CONTRIBUTIONS)
            .collectAsList()) {
      double p = row.getDouble(1);
      Double e = expected.get(row.getLong(0));
      if (e != null) {
        assertThat(p).as("id %d", row.getLong(0)).isCloseTo(e, within(1e-6));
        compared++;
      }
      assertThat(row.getBoolean(2)).isEqualTo(p >= r.threshold());
      double margin = row.getDouble(3);
      double sum = row.getDouble(4);
      List<Row> pairs = row.getList(5);
      assertThat(pairs).hasSize(k);
      for (Row pair : pairs) {
        sum += pair.getDouble(1);
      }
      assertThat(sum)
          .as("contributions + bias of id %d", row.getLong(0))
          .isCloseTo(margin, within(1e-4));
      assertThat(1 / (1 + Math.exp(-margin))).isCloseTo(p, within(1e-5));
    }
    assertThat(compared).isEqualTo(expected.size()).isGreaterThan(500);

    // Malformed raw rows: a null in a required column, a value of the wrong type, an unseen
    // country. The first two are quarantined with their reason, the third is scored and counted.
    Dataset<Row> raw =
        spark
            .read()
            .format("delta")
            .load(ingest.cleanTable())
            .limit(50)
            .withColumn("age", col("age").cast("string"))
            .withColumn(
                "amount",
                when(col("id").equalTo(firstId(spark, ingest)), lit(null)).otherwise(col("amount")))
            .withColumn(
                "age",
                when(col("id").equalTo(secondId(spark, ingest)), lit("old")).otherwise(col("age")))
            .withColumn(
                "country",
                when(col("id").equalTo(thirdId(spark, ingest)), lit("XX"))
                    .otherwise(col("country")))
            .withColumn(
                "amount",
                when(col("id").equalTo(nthId(spark, ingest, 3)), lit(1e9))
                    .otherwise(col("amount")));
    String rawPath = tmp.resolve("raw").toString();
    raw.write().parquet(rawPath);
    ScoreStage.Result bad =
        ScoreStage.run(
            spark,
            config,
            new NoTracking(),
            trained.modelDir(),
            rawPath,
            tmp.resolve("s2").toString(),
            0);
    assertThat(bad.rowsRead()).isEqualTo(50);
    assertThat(bad.rowsQuarantined()).isEqualTo(2);
    assertThat(bad.rowsScored()).isEqualTo(48);
    assertThat(bad.quarantinedByReason())
        .containsEntry("null:amount", 1L)
        .containsEntry("type:age", 1L);
    assertThat(bad.unseen()).containsEntry("country", 1L);
    // Outside the training range: the planted 1e9 amount, plus any row the train split's range
    // does not cover, counted here independently from the model's transform.
    FittedTransform fitted =
        new dev.plumb.features.store.FeatureStore(dev.plumb.features.io.Storages.of(spark), "")
            .transform(trained.modelDir());
    List<Double> range = fitted.inputRanges().get("amount");
    assertThat(range).hasSize(2);
    assertThat(range.get(1)).isLessThan(1e9);
    long outside =
        raw.filter(
                col("amount")
                    .isNotNull()
                    .and(col("amount").lt(range.get(0)).or(col("amount").gt(range.get(1)))))
            .count();
    assertThat(outside).isGreaterThanOrEqualTo(1);
    assertThat(bad.outsideRange()).containsEntry("amount", outside).containsKey("age");
    Dataset<Row> q = spark.read().format("delta").load(bad.quarantine());
    assertThat(q.count()).isEqualTo(2);
    assertThat(q.select("reasons").as(org.apache.spark.sql.Encoders.STRING()).collectAsList())
        .containsExactlyInAnyOrder("null:amount", "type:age");
  }

  private static long nthId(SparkSession spark, IngestRun.Result ingest, int n) {
    return spark
        .read()
        .format("delta")
        .load(ingest.cleanTable())
        .limit(50)
        .select("id")
        .orderBy("id")
        .collectAsList()
        .get(n)
        .getLong(0);
  }

  private static long firstId(SparkSession spark, IngestRun.Result ingest) {
    return nthId(spark, ingest, 0);
  }

  private static long secondId(SparkSession spark, IngestRun.Result ingest) {
    return nthId(spark, ingest, 1);
  }

  private static long thirdId(SparkSession spark, IngestRun.Result ingest) {
    return nthId(spark, ingest, 2);
  }
}

package dev.plumb.training;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.when;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.plumb.testing.SharedSpark;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Round trips of the booster file, UBJ and JSON: same model, same feature names, same scores. */
@ExtendWith(SharedSpark.class)
class ModelFilesTest {

  static TrainedModel model;
  static Dataset<Row> rows;

  @BeforeAll
  static void train(SparkSession spark) {
    rows = XGBoostTrainerTest.data(spark, 1500, 12);
    model =
        XGBoostTrainer.train(
            XGBoostTrainerTest.data(spark, 3000, 11),
            rows,
            XGBoostTrainerTest.spec(60, 5),
            "label",
            XGBoostTrainerTest.FEATURES);
  }

  static List<Double> scores(byte[] booster) {
    return ModelFiles.score(booster, XGBoostTrainerTest.FEATURES, rows, model.iterationEnd())
        .orderBy(col("id"))
        .select(ModelFiles.SCORE)
        .as(org.apache.spark.sql.Encoders.DOUBLE())
        .collectAsList();
  }

  @Test
  void theBoosterFileCarriesTheFeatureNamesAndBestIteration() {
    assertThat(ModelFiles.featureNames(model.booster())).containsExactly("x1", "x2");
    assertThat(ModelFiles.attribute(model.booster(), ModelFiles.BEST_ITERATION))
        .isEqualTo(String.valueOf(model.bestIteration()));
  }

  @Test
  void ubjRoundTripIsByteIdenticalAndScoresIdentically() {
    byte[] again = ModelFiles.toUbj(ModelFiles.load(model.booster()));
    assertThat(again).isEqualTo(model.booster());
    assertThat(scores(again)).isEqualTo(scores(model.booster()));
  }

  @Test
  void jsonOnRequestIsReadableAndLoadsBackToIdenticalPredictions() {
    byte[] json = ModelFiles.convert(model.booster(), ModelFormat.JSON);
    String text = new String(json, StandardCharsets.UTF_8);
    assertThat(text).startsWith("{").contains("\"feature_names\":[\"x1\",\"x2\"]");
    assertThat(text).contains("\"best_iteration\":\"" + model.bestIteration() + "\"");
    assertThat(ModelFiles.featureNames(json)).containsExactly("x1", "x2");
    List<Double> fromJson = scores(json);
    assertThat(fromJson).hasSize(1500).isEqualTo(scores(model.booster()));
    // JSON -> UBJ gives back the same model bytes.
    assertThat(ModelFiles.convert(json, ModelFormat.UBJ)).isEqualTo(model.booster());
  }

  @Test
  void scoringIntoBinsCountsWhatAnAggregationOverTheScoredRowsCounts() {
    // Nulls, NaN, values on an edge and edges NaN-topped; four partitions summed; only the rows
    // flagged `keep` scored and binned, the flag `low` counted over all rows. The expected counts
    // come from Spark SQL comparisons over ModelFiles.score's rows of the kept rows.
    Dataset<Row> input =
        rows.withColumn("x1", expr("case when id % 7 = 0 then null else x1 end"))
            .withColumn("x2", expr("case when id % 11 = 0 then double('NaN') else x2 end"))
            .withColumn("keep", expr("id % 3 != 0"))
            .withColumn("low", expr("x1 < 0.5"))
            .repartition(4);
    Map<String, double[]> edges = new LinkedHashMap<>();
    edges.put("x1", new double[] {0.25, 0.5, 0.75});
    edges.put("x2", new double[] {0.1, 0.9, Double.NaN});
    double[] scoreEdges = {0.1, 0.3, 0.5, 0.9};
    ModelFiles.BinCounts counts =
        ModelFiles.scoreIntoBins(
            model.booster(),
            XGBoostTrainerTest.FEATURES,
            input,
            model.iterationEnd(),
            edges,
            scoreEdges,
            0.3,
            "keep",
            List.of("low"));
    Dataset<Row> scored =
        ModelFiles.score(
            model.booster(),
            XGBoostTrainerTest.FEATURES,
            input.filter(col("keep")),
            model.iterationEnd());
    assertThat(counts.inputRows()).isEqualTo(1500);
    assertThat(counts.rows()).isEqualTo(1000).isEqualTo(scored.count());
    assertThat(counts.flags()).containsEntry("low", input.filter(col("low")).count());
    assertThat(counts.features().get("x1"))
        .containsExactly(expected(scored, "x1", edges.get("x1")));
    assertThat(counts.features().get("x2"))
        .containsExactly(expected(scored, "x2", edges.get("x2")));
    assertThat(counts.score()).containsExactly(expected(scored, ModelFiles.SCORE, scoreEdges));
    assertThat(counts.atLeastThreshold())
        .isEqualTo(scored.filter(col(ModelFiles.SCORE).geq(0.3)).count())
        .isPositive();
  }

  @Test
  void countingScoresGivesWhatAGroupByOverTheScoredRowsGives() {
    // Four partitions merged on the driver; some labels null (not counted as rows); the expected
    // counts from Spark's groupBy over ModelFiles.score's rows, highest score first.
    Dataset<Row> input =
        rows.withColumn("label", expr("case when id % 13 = 0 then null else label end"))
            .repartition(4);
    ModelFiles.ScoreCounts counts =
        ModelFiles.scoreCounts(
            model.booster(), XGBoostTrainerTest.FEATURES, input, model.iterationEnd(), "label");
    List<Row> expected =
        ModelFiles.score(model.booster(), XGBoostTrainerTest.FEATURES, input, model.iterationEnd())
            .groupBy(col(ModelFiles.SCORE).as("s"))
            .agg(count(col("label")).as("n"), count(when(col("label").equalTo(1.0), 1)).as("p"))
            .orderBy(col("s").desc())
            .collectAsList();
    assertThat(expected.size()).isGreaterThan(100);
    assertThat(counts.scores()).hasSize(expected.size());
    for (int i = 0; i < expected.size(); i++) {
      Row e = expected.get(i);
      assertThat(counts.scores()[i]).as("score %d", i).isEqualTo(e.getDouble(0));
      assertThat(counts.rows()[i]).as("rows at score %d", i).isEqualTo(e.getLong(1));
      assertThat(counts.positives()[i]).as("positives at score %d", i).isEqualTo(e.getLong(2));
    }
    assertThat(java.util.Arrays.stream(counts.rows()).sum())
        .isEqualTo(input.filter(col("label").isNotNull()).count());
    assertThat(java.util.Arrays.stream(counts.positives()).sum())
        .isEqualTo(input.filter(col("label").equalTo(1.0)).count())
        .isPositive();
    assertThatThrownBy(
            () ->
                ModelFiles.scoreCounts(
                    model.booster(), XGBoostTrainerTest.FEATURES, input, 0, "nope"))
        .hasMessageContaining("'nope' is not a numeric column");
  }

  /** [null, x <= e0, e0 < x <= e1, ..., x > e(k-1)] by Spark SQL's comparisons. */
  private static long[] expected(Dataset<Row> scored, String column, double[] edges) {
    Column x = col(column);
    List<Column> bins = new java.util.ArrayList<>();
    bins.add(count(when(x.isNull(), 1)));
    for (int i = 0; i <= edges.length; i++) {
      Column in = x.isNotNull();
      if (i > 0) {
        in = in.and(x.gt(edges[i - 1]));
      }
      if (i < edges.length) {
        in = in.and(x.leq(edges[i]));
      }
      bins.add(count(when(in, 1)));
    }
    Row r = scored.agg(bins.get(0), bins.subList(1, bins.size()).toArray(Column[]::new)).first();
    long[] out = new long[bins.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = r.getLong(i);
    }
    return out;
  }

  @Test
  void aFileThatIsNotABoosterIsRejectedWithTheReason() {
    assertThatThrownBy(() -> ModelFiles.load("not a model".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("Cannot load the model file:")
        .hasMessageContaining("is it an XGBoost UBJ/JSON file?");
  }

  @Test
  void formatsParseAndNameTheirFiles() {
    assertThat(ModelFormat.parse("UBJ")).isEqualTo(ModelFormat.UBJ);
    assertThat(ModelFormat.JSON.fileName()).isEqualTo("booster.json");
    assertThat(ModelFormat.UBJ.fileName()).isEqualTo("model.ubj");
  }
}

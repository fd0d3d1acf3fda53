package dev.plumb.training;

import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.plumb.testing.SharedSpark;
import java.nio.charset.StandardCharsets;
import java.util.List;
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

package dev.plumb.training;

import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.pmod;
import static org.apache.spark.sql.functions.when;
import static org.apache.spark.sql.functions.xxhash64;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.plumb.testing.SharedSpark;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(SharedSpark.class)
class XGBoostTrainerTest {

  static final List<String> FEATURES = List.of("x1", "x2");

  /** x1 drives the label; x2 is noise. Deterministic from the id. */
  static Dataset<Row> data(SparkSession spark, long rows, long seed) {
    Column u1 = pmod(xxhash64(lit(seed), col("id")), lit(1000)).cast("double").divide(1000);
    Column u2 = pmod(xxhash64(lit(seed + 1), col("id")), lit(1000)).cast("double").divide(1000);
    Column u3 = pmod(xxhash64(lit(seed + 2), col("id")), lit(1000)).cast("double").divide(1000);
    return spark
        .range(rows)
        .toDF()
        .withColumn("x1", u1)
        .withColumn("x2", u2)
        .withColumn("label", when(u3.lt(col("x1").multiply(0.8).plus(0.05)), 1.0).otherwise(0.0));
  }

  static TrainingSpec spec(int rounds, int earlyStopping) {
    return new TrainingSpec(
        "binary:logistic", "logloss", rounds, 3, 0.3, 1, 1, earlyStopping, 7L, "cpu");
  }

  @Test
  void trainsScoresAndRoundTripsTheBoosterBytes(SparkSession spark) {
    Dataset<Row> train = data(spark, 4000, 1);
    Dataset<Row> validation = data(spark, 1000, 2);
    TrainedModel model = XGBoostTrainer.train(train, validation, spec(30, 0), "label", FEATURES);

    assertThat(model.roundsTrained()).isEqualTo(30);
    assertThat(model.history().get("train-logloss")).hasSize(30);
    assertThat(model.history().get("validation-logloss")).hasSize(30);
    assertThat(model.booster()).isNotEmpty();

    Dataset<Row> scored = ModelFiles.score(model.booster(), FEATURES, validation, 0);
    double meanScore = scored.agg(avg(col(ModelFiles.SCORE))).first().getDouble(0);
    double meanLabel = validation.agg(avg(col("label"))).first().getDouble(0);
    // A calibrated binary:logistic model predicts the base rate on average.
    assertThat(meanScore).isBetween(meanLabel - 0.05, meanLabel + 0.05);
    // Higher x1 must mean a higher score.
    double low = scored.filter(col("x1").lt(0.2)).agg(avg(ModelFiles.SCORE)).first().getDouble(0);
    double high = scored.filter(col("x1").gt(0.8)).agg(avg(ModelFiles.SCORE)).first().getDouble(0);
    assertThat(high).isGreaterThan(low + 0.4);

    byte[] again = ModelFiles.toUbj(ModelFiles.load(model.booster()));
    assertThat(again).isEqualTo(model.booster());
  }

  @Test
  void earlyStoppingStopsBeforeTheRoundLimitAndRecordsTheBestRound(SparkSession spark) {
    Dataset<Row> train = data(spark, 3000, 3);
    Dataset<Row> validation = data(spark, 1000, 4);
    TrainedModel model = XGBoostTrainer.train(train, validation, spec(300, 5), "label", FEATURES);
    assertThat(model.roundsTrained()).isLessThan(300);
    float[] v = model.history().get("validation-logloss");
    assertThat(v).hasSize(model.roundsTrained());
    assertThat(model.history().get("train-logloss")).hasSize(model.roundsTrained());
    // Early stopping stops exactly `earlyStoppingRounds` rounds after the best one.
    assertThat(model.bestIteration()).isEqualTo(model.roundsTrained() - 1 - 5);
    assertThat(model.bestIteration()).isBetween(0, v.length - 1);
    for (float value : v) {
      assertThat(v[model.bestIteration()]).isLessThanOrEqualTo(value);
    }
  }

  @Test
  void sameSeedSameDataGivesIdenticalModelBytes(SparkSession spark) {
    Dataset<Row> train = data(spark, 2000, 5);
    Dataset<Row> validation = data(spark, 500, 6);
    byte[] first =
        XGBoostTrainer.train(train, validation, spec(10, 0), "label", FEATURES).booster();
    byte[] second =
        XGBoostTrainer.train(train, validation, spec(10, 0), "label", FEATURES).booster();
    assertThat(second).isEqualTo(first);
  }

  @Test
  void invalidSpecsAreRejectedBeforeTraining() {
    assertThatThrownBy(
            () -> new TrainingSpec("binary:logistic", "logloss", 0, 3, 0.3, 1, 1, 0, 1L, "cpu"))
        .hasMessageContaining("train.num_round = 0");
    assertThatThrownBy(
            () -> new TrainingSpec("binary:logistic", "logloss", 5, 3, 0.3, 1, 1, 0, 1L, "tpu"))
        .hasMessageContaining("train.device = tpu")
        .hasMessageContaining("[cpu, cuda, auto]");
  }

  @Test
  void bestRoundFollowsTheMetricDirection() {
    float[] history = {0.5f, 0.3f, 0.4f};
    assertThat(XGBoostTrainer.bestRound(history, false)).isEqualTo(1);
    assertThat(XGBoostTrainer.bestRound(history, true)).isEqualTo(0);
  }
}

package dev.plumb.training;

import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.floor;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.pmod;
import static org.apache.spark.sql.functions.pow;
import static org.apache.spark.sql.functions.sqrt;
import static org.apache.spark.sql.functions.stddev_pop;
import static org.apache.spark.sql.functions.when;
import static org.apache.spark.sql.functions.xxhash64;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

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
    // The booster file itself records the best iteration, under XGBoost's own attribute name.
    assertThat(ModelFiles.attribute(model.booster(), ModelFiles.BEST_ITERATION))
        .isEqualTo(String.valueOf(model.bestIteration()));
    assertThat(model.iterationEnd()).isEqualTo(model.bestIteration() + 1);
    // Predicting with the best iteration differs from predicting with every trained round.
    double best = meanScore(model, validation);
    double all =
        ModelFiles.score(model.booster(), FEATURES, validation, 0)
            .agg(avg(col(ModelFiles.SCORE)))
            .first()
            .getDouble(0);
    assertThat(best).isNotEqualTo(all);
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
  void twoWorkersSameSeedSameDataGiveIdenticalModelBytesAndAGoodModel(SparkSession spark) {
    // Two barrier tasks in local[2]: XGBoost's allreduce across workers, run twice.
    Dataset<Row> train = data(spark, 4000, 5).repartition(3);
    Dataset<Row> validation = data(spark, 1000, 6);
    TrainingSpec twoWorkers =
        new TrainingSpec("binary:logistic", "logloss", 15, 3, 0.3, 2, 1, 0, 7L, "cpu");
    TrainedModel first = XGBoostTrainer.train(train, validation, twoWorkers, "label", FEATURES);
    TrainedModel second = XGBoostTrainer.train(train, validation, twoWorkers, "label", FEATURES);
    assertThat(first.params()).containsEntry("num_workers", 2);
    assertThat(second.booster()).isEqualTo(first.booster());
    // Two workers see the same rows as one: the models agree closely (not bit for bit, since
    // the histogram sketch is built per worker).
    TrainedModel one = XGBoostTrainer.train(train, validation, spec(15, 0), "label", FEATURES);
    float[] loss2 = first.history().get("validation-logloss");
    float[] loss1 = one.history().get("validation-logloss");
    assertThat(loss2[14]).isCloseTo(loss1[14], org.assertj.core.data.Offset.offset(0.02f));
  }

  @Test
  void aSplitWithAsManyPartitionsAsWorkersAndAnEmptyOneStillTrainsOnEveryRow(SparkSession spark) {
    // A filtered scan (a split of a feature table whose file holds no rows of that split) can
    // have as many partitions as workers with one of them empty; XGBoost4J-Spark repartitions only
    // when the counts differ, and a worker without rows cannot join the training.
    TrainingSpec twoWorkers =
        new TrainingSpec("binary:logistic", "logloss", 12, 3, 0.3, 2, 1, 0, 7L, "cpu");
    Dataset<Row> train = data(spark, 8000, 11).repartition(2, col("id")).filter("id % 4 = 0");
    Dataset<Row> validation = data(spark, 2000, 12).repartition(2, col("id"));
    Dataset<Row> oneEmptyTrain =
        train.withColumn("p", org.apache.spark.sql.functions.spark_partition_id()).filter("p = 0");
    Dataset<Row> oneEmptyValidation =
        validation
            .withColumn("p", org.apache.spark.sql.functions.spark_partition_id())
            .filter("p = 1");
    assertThat(oneEmptyTrain.rdd().getNumPartitions()).isEqualTo(2);
    List<Long> sizes = partitionSizes(oneEmptyTrain);
    assertThat(sizes).hasSize(2);
    assertThat(sizes.get(0)).isGreaterThan(800);
    assertThat(sizes.get(1)).isZero();
    assertThat(partitionSizes(oneEmptyValidation).get(0)).isZero();
    assertThat(oneEmptyValidation.rdd().getNumPartitions()).isEqualTo(2);

    // The same rows, spread over both workers by hand: what the trainer must do on its own.
    TrainedModel byHand =
        XGBoostTrainer.train(
            oneEmptyTrain.repartition(2),
            oneEmptyValidation.repartition(2),
            twoWorkers,
            "label",
            FEATURES);
    TrainedModel model =
        XGBoostTrainer.train(oneEmptyTrain, oneEmptyValidation, twoWorkers, "label", FEATURES);
    assertThat(model.roundsTrained()).isEqualTo(12);
    assertThat(model.booster()).isEqualTo(byHand.booster());
    assertThat(model.history().get("validation-logloss"))
        .containsExactly(byHand.history().get("validation-logloss"));
    // A good model: the validation loss falls well below its first round's.
    float[] loss = model.history().get("validation-logloss");
    assertThat(loss[11]).isLessThan(loss[0] - 0.03f);

    // Non-empty partitions as many as the workers are used as they are (no extra shuffle).
    assertThat(XGBoostTrainer.spreadOverWorkers(validation, 2, "validation")).isSameAs(validation);
    assertThat(XGBoostTrainer.spreadOverWorkers(oneEmptyTrain, 2, "train").rdd().getNumPartitions())
        .isEqualTo(2);
    assertThat(partitionSizes(XGBoostTrainer.spreadOverWorkers(oneEmptyTrain, 2, "train")))
        .doesNotContain(0L);
    // Partition counts other than the workers' are XGBoost's to spread.
    Dataset<Row> three = train.repartition(3);
    assertThat(XGBoostTrainer.spreadOverWorkers(three, 2, "train")).isSameAs(three);
  }

  /** The rows of each partition, by partition index. */
  static List<Long> partitionSizes(Dataset<Row> rows) {
    return rows.javaRDD()
        .mapPartitions(
            it -> {
              long n = 0;
              while (it.hasNext()) {
                it.next();
                n++;
              }
              return List.of(n).iterator();
            })
        .collect();
  }

  @Test
  void scalePosWeightAutoIsNegativesOverPositivesOfTheTrainingSplit(SparkSession spark) {
    Dataset<Row> train = data(spark, 3000, 7);
    Dataset<Row> validation = data(spark, 500, 8);
    long positives = train.filter(col("label").equalTo(1.0)).count();
    long negatives = 3000 - positives;
    TrainingSpec auto = spec(5, 0).withScalePosWeight(ScalePosWeight.AUTO);
    TrainedModel model = XGBoostTrainer.train(train, validation, auto, "label", FEATURES);
    assertThat((Double) model.params().get("scale_pos_weight"))
        .isCloseTo((double) negatives / positives, org.assertj.core.data.Offset.offset(1e-12));
    // Weighting the positives up moves the mean score towards 0.5 compared to no weighting.
    TrainedModel plain = XGBoostTrainer.train(train, validation, spec(5, 0), "label", FEATURES);
    double weighted = meanScore(model, validation);
    double unweighted = meanScore(plain, validation);
    assertThat(Math.abs(weighted - 0.5)).isLessThan(Math.abs(unweighted - 0.5));
    assertThat(plain.params()).containsEntry("scale_pos_weight", 1.0);
  }

  @Test
  void scalePosWeightParsesNumbersAndAutoAndRejectsTheRest() {
    assertThat(ScalePosWeight.parse("auto")).isEqualTo(ScalePosWeight.AUTO);
    assertThat(ScalePosWeight.parse("3.5").value()).isEqualTo(3.5);
    assertThat(ScalePosWeight.AUTO.resolve(90, 10)).isEqualTo(9.0);
    assertThatThrownBy(() -> ScalePosWeight.parse("-1"))
        .hasMessage(
            "Cannot configure training: train.scale_pos_weight = -1.0 is invalid (use a number >"
                + " 0, or auto)");
    assertThatThrownBy(() -> ScalePosWeight.parse("lots"))
        .hasMessageContaining("train.scale_pos_weight = lots is invalid");
    assertThatThrownBy(() -> ScalePosWeight.AUTO.resolve(100, 0))
        .hasMessageContaining("has 100 negatives and 0 positives");
  }

  static double meanScore(TrainedModel model, Dataset<Row> rows) {
    return ModelFiles.score(model.booster(), FEATURES, rows, model.iterationEnd())
        .agg(avg(col(ModelFiles.SCORE)))
        .first()
        .getDouble(0);
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
    assertThatThrownBy(
            () -> new TrainingSpec("binary:logistic", "rmsle", 5, 3, 0.3, 1, 1, 0, 1L, "cpu"))
        .hasMessage(
            "Cannot configure training: train.eval_metric = rmsle is invalid (use one of [logloss,"
                + " auc, aucpr, error] for binary:logistic)");
    assertThatThrownBy(
            () -> new TrainingSpec("binary:logistic", "logloss", 5, 3, 0.3, -1, 1, 0, 1L, "cpu"))
        .hasMessageContaining("train.num_workers = -1 is invalid (use an integer >= 1, or 0 for");
    assertThatThrownBy(
            () -> new TrainingSpec("rank:pairwise", "logloss", 5, 3, 0.3, 1, 1, 0, 1L, "cpu"))
        .hasMessageContaining("train.objective = rank:pairwise is invalid")
        .hasMessageContaining(
            "[binary:logistic, reg:squarederror, reg:absoluteerror, multi:softprob]");
    assertThatThrownBy(
            () -> new TrainingSpec("reg:squarederror", "logloss", 5, 3, 0.3, 1, 1, 0, 1L, "cpu"))
        .hasMessageContaining("train.eval_metric = logloss is invalid")
        .hasMessageContaining("[rmse, mae] for reg:squarederror");
    assertThatThrownBy(
            () ->
                new TrainingSpec("reg:squarederror", "rmse", 5, 3, 0.3, 1, 1, 0, 1L, "cpu")
                    .withScalePosWeight(ScalePosWeight.parse("auto")))
        .hasMessageContaining("train.scale_pos_weight = auto is invalid")
        .hasMessageContaining("binary:logistic only");
    assertThatThrownBy(() -> ModelFormat.parse("pickle"))
        .hasMessage(
            "Cannot configure training: train.model_format = pickle is invalid (use one of [ubj,"
                + " json])");
  }

  @Test
  void bestRoundFollowsTheMetricDirection() {
    float[] history = {0.5f, 0.3f, 0.4f};
    assertThat(XGBoostTrainer.bestRound(history, false)).isEqualTo(1);
    assertThat(XGBoostTrainer.bestRound(history, true)).isEqualTo(0);
  }

  @Test
  void regressionObjectivesPredictTheTarget(SparkSession spark) {
    // y = 3 x1 + small noise from x2: the model must explain most of the variance.
    Dataset<Row> train =
        data(spark, 4000, 11).withColumn("y", col("x1").multiply(3).plus(col("x2").multiply(0.1)));
    Dataset<Row> validation =
        data(spark, 1000, 12).withColumn("y", col("x1").multiply(3).plus(col("x2").multiply(0.1)));
    TrainingSpec spec =
        new TrainingSpec("reg:squarederror", "rmse", 40, 4, 0.3, 1, 1, 5, 7L, "cpu");
    TrainedModel model = XGBoostTrainer.train(train, validation, spec, "y", FEATURES);
    assertThat(model.history()).containsKeys("train-rmse", "validation-rmse");
    Row r =
        ModelFiles.score(model.booster(), FEATURES, validation, model.bestIteration() + 1)
            .agg(sqrt(avg(pow(col(ModelFiles.SCORE).minus(col("y")), 2))), stddev_pop(col("y")))
            .first();
    double rmse = r.getDouble(0);
    double sd = r.getDouble(1);
    // Predicting the mean scores rmse = sd (~0.87 for 3 x uniform); the model does far better,
    // and its rmse matches the last validation round XGBoost reported.
    assertThat(rmse).isLessThan(0.1 * sd);
    float[] v = model.history().get("validation-rmse");
    assertThat(rmse).isCloseTo(v[model.bestIteration()], within(1e-3));
  }

  @Test
  void multiclassObjectivesScoreTheMostLikelyClass(SparkSession spark) {
    Dataset<Row> train = data(spark, 3000, 21).withColumn("k", floor(col("x1").multiply(3)));
    Dataset<Row> validation = data(spark, 900, 22).withColumn("k", floor(col("x1").multiply(3)));
    TrainingSpec spec =
        new TrainingSpec("multi:softprob", "mlogloss", 30, 3, 0.3, 1, 1, 0, 7L, "cpu");
    TrainedModel model = XGBoostTrainer.train(train, validation, spec, "k", FEATURES);
    assertThat(model.history()).containsKeys("train-mlogloss", "validation-mlogloss");
    Dataset<Row> scored = ModelFiles.score(model.booster(), FEATURES, validation, 0);
    List<Row> classes =
        scored
            .select(col(ModelFiles.SCORE))
            .distinct()
            .orderBy(col(ModelFiles.SCORE))
            .collectAsList();
    assertThat(classes).extracting(c -> c.getDouble(0)).containsExactly(0.0, 1.0, 2.0);
    double accuracy =
        scored
            .agg(avg(when(col(ModelFiles.SCORE).equalTo(col("k")), 1.0).otherwise(0.0)))
            .first()
            .getDouble(0);
    // The class is a step function of x1 alone: the trees find the two cuts.
    assertThat(accuracy).isGreaterThan(0.98);
  }

  @Test
  void theMostLikelyClassBreaksTiesTowardsTheLowestIndex() {
    assertThat(BoosterScorer.scoreOf(new float[] {0.7f})).isCloseTo(0.7, within(1e-6));
    assertThat(BoosterScorer.scoreOf(new float[] {0.2f, 0.5f, 0.3f})).isEqualTo(1.0);
    assertThat(BoosterScorer.scoreOf(new float[] {0.4f, 0.4f, 0.2f})).isEqualTo(0.0);
  }
}

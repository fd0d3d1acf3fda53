package dev.plumb.jobs;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;
import static org.assertj.core.api.Assertions.assertThat;

import dev.plumb.evaluation.OperatingPoint;
import dev.plumb.features.Splits;
import dev.plumb.features.store.FeatureStore;
import dev.plumb.jobs.tracking.NoTracking;
import dev.plumb.testing.SharedSpark;
import dev.plumb.training.ModelFiles;
import java.nio.file.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The operating threshold is chosen on the validation split at training and never reads a test row:
 * flipping every test label leaves it unchanged, flipping the validation labels does not.
 */
@ExtendWith(SharedSpark.class)
class ThresholdFromValidationTest {

  @TempDir Path tmp;

  private static void flipLabels(SparkSession spark, String table, String split) {
    Dataset<Row> rows = spark.read().format("delta").load(table).localCheckpoint();
    rows.withColumn(
            "label",
            when(col(Splits.COLUMN).equalTo(split), lit(1.0).minus(col("label")))
                .otherwise(col("label")))
        .write()
        .format("delta")
        .mode("overwrite")
        .save(table);
  }

  @Test
  void flippedTestLabelsLeaveTheThresholdAsItWas(SparkSession spark) {
    PlumbConfig config =
        FeaturesStageTest.demoConfig(
            spark, tmp, 6000, 7, "train.num_round=15", "evaluate.threshold=max_f1");
    IngestStage.run(spark, config, new NoTracking());
    FeaturesStage.Result features = FeaturesStage.run(spark, config, new NoTracking());
    String table = FeatureStore.data(features.directory());

    TrainStage.Result first = TrainStage.run(spark, config, new NoTracking());
    double chosen = first.operatingPoint().threshold();
    assertThat(chosen).isBetween(0.0, 1.0);
    assertThat(first.operatingPoint().policy().toString()).isEqualTo("max_f1");
    assertThat(TrainStage.modelStore(config).metadata(first.modelDir()).threshold())
        .isEqualTo(chosen);
    // The stage counts scores where it scores them: the same choice as a groupBy over the scored
    // validation rows gives.
    OperatingPoint.Choice overScoredRows =
        OperatingPoint.choose(
            ModelFiles.score(
                first.model().booster(),
                first.model().featureNames(),
                spark
                    .read()
                    .format("delta")
                    .load(table)
                    .filter(col(Splits.COLUMN).equalTo(Splits.VALIDATION)),
                first.model().bestIteration() + 1),
            ModelFiles.SCORE,
            "label",
            config.thresholdPolicy(),
            config.evalSpec().costs());
    assertThat(first.operatingPoint()).isEqualTo(overScoredRows);

    flipLabels(spark, table, Splits.TEST);
    TrainStage.Result testFlipped = TrainStage.run(spark, config, new NoTracking());
    assertThat(testFlipped.operatingPoint().threshold()).isEqualTo(chosen);
    assertThat(testFlipped.operatingPoint().f1()).isEqualTo(first.operatingPoint().f1());

    flipLabels(spark, table, Splits.VALIDATION);
    TrainStage.Result validationFlipped = TrainStage.run(spark, config, new NoTracking());
    assertThat(validationFlipped.operatingPoint().f1()).isNotEqualTo(first.operatingPoint().f1());
  }
}

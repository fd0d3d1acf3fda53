package dev.plumb.jobs;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.plumb.features.Splits;
import dev.plumb.features.store.FeatureStore;
import dev.plumb.jobs.tracking.NoTracking;
import dev.plumb.testing.SharedSpark;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code plumb tune} chooses on the validation split only: flipping every test label changes the
 * chosen model's test metrics and nothing about the search; the chosen trial is never worse on
 * validation than the config's own parameters (trial 0).
 */
@ExtendWith(SharedSpark.class)
class TuneStageTest {

  @TempDir Path tmp;

  static final String SPEC =
      String.join(
          "\n",
          "budget: {trials: 4, minutes: 20}",
          "seed: 11",
          "pruning: {after_rounds: 6, min_trials: 2}",
          "space:",
          "  eta: {low: 0.05, high: 0.5, log: true}",
          "  max_depth: {type: int, low: 2, high: 6}",
          "  min_child_weight: {low: 1, high: 8}");

  @Test
  void choosesOnValidationOnlyAndNeverWorseThanTheDefaults(SparkSession spark) throws Exception {
    Path spec = Files.writeString(tmp.resolve("tune.yaml"), SPEC);
    PlumbConfig config =
        FeaturesStageTest.demoConfig(
            spark, tmp, 6000, 7, "train.num_round=25", "tune.spec=" + spec);
    IngestStage.run(spark, config, new NoTracking());
    FeaturesStage.Result features = FeaturesStage.run(spark, config, new NoTracking());

    TuneStage.Result first = TuneStage.run(spark, config, new NoTracking());
    assertThat(first.metric()).isEqualTo("logloss");
    assertThat(first.trials()).hasSize(4);
    assertThat(first.trials().get(0).params()).containsEntry("eta", "0.1");
    TuneStage.Trial defaults = first.trials().get(0);
    assertThat(defaults.state()).isEqualTo(TuneStage.State.COMPLETE);
    assertThat(first.best().state()).isEqualTo(TuneStage.State.COMPLETE);
    assertThat(first.best().value()).isLessThanOrEqualTo(defaults.value());
    for (TuneStage.Trial t : first.trials()) {
      if (t.state() == TuneStage.State.COMPLETE) {
        assertThat(first.best().value()).isLessThanOrEqualTo(t.value());
      } else {
        assertThat(t.state()).isEqualTo(TuneStage.State.PRUNED);
        assertThat(t.rounds()).isLessThanOrEqualTo(6);
      }
    }
    assertThat(
            first.model().model().history().get("validation-logloss")[first.best().bestIteration()])
        .isEqualTo((float) first.best().value());
    assertThat(Path.of(first.report())).exists();

    // Flip every test label in the stored feature set: only the test metrics may change.
    String data = FeatureStore.data(features.directory());
    Dataset<Row> table = spark.read().format("delta").load(data).localCheckpoint();
    table
        .withColumn(
            "label",
            when(col(Splits.COLUMN).equalTo(Splits.TEST), lit(1).minus(col("label")))
                .otherwise(col("label")))
        .write()
        .format("delta")
        .mode("overwrite")
        .save(data);
    TuneStage.Result second = TuneStage.run(spark, config, new NoTracking());
    assertThat(second.best().number()).isEqualTo(first.best().number());
    assertThat(second.best().params()).isEqualTo(first.best().params());
    for (int i = 0; i < first.trials().size(); i++) {
      assertThat(second.trials().get(i).state()).isEqualTo(first.trials().get(i).state());
      assertThat(second.trials().get(i).value())
          .isCloseTo(first.trials().get(i).value(), within(1e-6));
    }
    double before = first.evaluation().metrics().rocAuc();
    double after = second.evaluation().metrics().rocAuc();
    assertThat(before).isGreaterThan(0.6);
    assertThat(after).isCloseTo(1 - before, within(0.02));
  }

  @Test
  void refusesToSearchWhereTrainingRunsAndUnknownParameters(SparkSession spark) throws Exception {
    Path seedSpec =
        Files.writeString(
            tmp.resolve("seed.yaml"), "space:\n  num_workers: {type: int, low: 1, high: 2}\n");
    PlumbConfig config = FeaturesStageTest.demoConfig(spark, tmp, 500, 7, "tune.spec=" + seedSpec);
    assertThatThrownBy(() -> TuneStage.run(spark, config, new NoTracking()))
        .hasMessageContaining("'num_workers' cannot be searched");
    Path unknown =
        Files.writeString(tmp.resolve("unknown.yaml"), "space:\n  etta: {low: 0.1, high: 0.2}\n");
    assertThatThrownBy(
            () ->
                TuneStage.run(
                    spark, config.with("tune.spec", unknown.toString()), new NoTracking()))
        .hasMessageContaining("etta");
  }
}

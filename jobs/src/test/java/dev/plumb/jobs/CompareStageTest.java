package dev.plumb.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.plumb.evaluation.PairedMetrics;
import dev.plumb.jobs.tracking.NoTracking;
import dev.plumb.testing.SharedSpark;
import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code plumb compare} on model folders: a model against itself differs by exactly 0 and does not
 * win; a full model against a one-stump model wins with an interval above 0; the candidate's
 * evaluation and the paired comparison measure the same rows.
 */
@ExtendWith(SharedSpark.class)
class CompareStageTest {

  @TempDir Path tmp;

  @Test
  void aModelDoesNotBeatItselfAndAFullModelBeatsAStump(SparkSession spark) {
    PlumbConfig config =
        FeaturesStageTest.demoConfig(spark, tmp, 8000, 7, "train.num_round=1", "train.max_depth=1");
    IngestStage.run(spark, config, new NoTracking());
    FeaturesStage.run(spark, config, new NoTracking());
    String stump = TrainStage.run(spark, config, new NoTracking()).modelDir();
    String full =
        TrainStage.run(
                spark,
                config.with("train.num_round", 60).with("train.max_depth", 4),
                new NoTracking())
            .modelDir();

    PlumbConfig vsStump = config.with("compare.champion", stump);
    CompareStage.Result self = CompareStage.run(spark, vsStump, new NoTracking(), stump);
    assertThat(self.differences()).containsOnlyKeys(PairedMetrics.NAMES);
    for (PairedMetrics.Difference d : self.differences().values()) {
      assertThat(d.difference()).as(d.metric()).isEqualTo(0.0);
      assertThat(d.low()).as(d.metric()).isLessThanOrEqualTo(0.0);
      assertThat(d.high()).as(d.metric()).isGreaterThanOrEqualTo(0.0);
    }
    assertThat(self.wins()).isFalse();
    assertThat(self.verdict()).contains("not significantly better");

    CompareStage.Result better = CompareStage.run(spark, vsStump, new NoTracking(), full);
    PairedMetrics.Difference auc = better.differences().get("roc_auc");
    assertThat(auc.low()).isGreaterThan(0);
    assertThat(better.wins()).isTrue();
    // The paired comparison and the candidate's evaluation saw the same rows and agree.
    assertThat(better.rows()).isEqualTo(better.evaluation().metrics().count());
    assertThat(auc.a())
        .isCloseTo(better.evaluation().evaluation().metrics().get("roc_auc"), within(1e-9));
    assertThat(Path.of(better.report())).exists();
  }
}

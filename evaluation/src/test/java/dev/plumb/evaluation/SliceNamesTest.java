package dev.plumb.evaluation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plumb.testing.SharedSpark;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Slices, weakest slices and their metric names use the value a reader knows. */
@ExtendWith(SharedSpark.class)
class SliceNamesTest {

  @Test
  void slicesAreNamedThroughTheGivenNames(SparkSession spark) {
    List<Fixtures.P> rows = Fixtures.random(3000, 9);
    Dataset<Row> df = Fixtures.frame(spark, rows);
    Evaluator.Input plain = Fixtures.input(df);
    Evaluator.Input named =
        new Evaluator.Input(
            plain.predictions(),
            plain.label(),
            plain.score(),
            plain.key(),
            plain.features(),
            plain.scorer(),
            plain.reference(),
            plain.driftTargets(),
            Map.of("group", Map.of("a", "Alpha", "b", "Beta")),
            null);
    EvalSpec spec =
        Fixtures.spec(
            EvalSpec.Mode.FULL,
            List.of("group"),
            List.of(Gate.atLeast("slice.group=*.roc_auc", 0)));
    EvalReport byIndex = Evaluator.evaluate(plain, spec);
    EvalReport byName = Evaluator.evaluate(named, spec);
    assertThat(byName.metrics())
        .containsKeys(
            "slice.group=Alpha.roc_auc", "slice.group=Beta.roc_auc", "slice.group=c.roc_auc")
        .doesNotContainKeys("slice.group=a.roc_auc", "slice.group=b.roc_auc");
    assertThat(byName.metrics().get("slice.group=Alpha.roc_auc"))
        .isEqualTo(byIndex.metrics().get("slice.group=a.roc_auc"));
    assertThat(byName.weakest())
        .extracting(s -> s.value())
        .allMatch(v -> List.of("Alpha", "Beta", "c").contains(v));
  }
}

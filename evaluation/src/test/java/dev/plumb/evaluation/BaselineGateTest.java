package dev.plumb.evaluation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plumb.testing.SharedSpark;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Gates on threshold metrics against the baselines at the operating point: a model whose scores
 * carry nothing fails "F1 beats the heuristic", an informative one passes.
 */
@ExtendWith(SharedSpark.class)
class BaselineGateTest {

  static final List<Gate> GATES =
      List.of(
          new Gate("F1 beats the heuristic", "f1", 0.0, null, "heuristic"),
          new Gate("recall beats the zero-rule", "recall", 0.05, null, "zero_rule"));

  /** x drives the label (x >= 60 mostly positive); the score is x itself or pure noise. */
  static List<Fixtures.P> rows(boolean informative, long seed) {
    Random random = new Random(seed);
    List<Fixtures.P> out = new ArrayList<>();
    for (int i = 0; i < 4000; i++) {
      double x = random.nextInt(100);
      double y = random.nextDouble() < (x >= 60 ? 0.7 : 0.05) ? 1 : 0;
      double s =
          informative
              ? Math.min(1, Math.max(0, x / 100 + 0.3 * (y - 0.5) + 0.1 * random.nextGaussian()))
              : random.nextDouble();
      out.add(new Fixtures.P(i, y, s, "a", x));
    }
    return out;
  }

  private static EvalReport evaluate(SparkSession spark, boolean informative, double threshold) {
    Dataset<Row> df = Fixtures.frame(spark, rows(informative, 3));
    EvalSpec base = Fixtures.spec(EvalSpec.Mode.FULL, List.of(), GATES);
    EvalSpec spec =
        new EvalSpec(
                base.mode(),
                base.threshold(),
                base.sample(),
                base.sweepPoints(),
                base.costs(),
                new EvalSpec.Bootstrap(0, 0.9, 3),
                base.calibrationBins(),
                base.slices(),
                new EvalSpec.Heuristic("x", true, 60.0),
                base.drift(),
                base.behaviour(),
                base.gates())
            .withThreshold(threshold);
    return Evaluator.evaluate(Fixtures.input(df), spec);
  }

  @Test
  void aUselessModelFailsTheThresholdGatesAndAnInformativeOnePasses(SparkSession spark) {
    EvalReport useless = evaluate(spark, false, 0.5);
    assertThat(useless.passed()).isFalse();
    // Random scores still "recall" half the positives at 0.5, beating the zero-rule's 0; only the
    // comparison with a real heuristic at the operating point catches them.
    assertThat(useless.failedGates())
        .extracting(GateResult::name)
        .containsExactly("F1 beats the heuristic");
    EvalReport good = evaluate(spark, true, 0.5);
    assertThat(good.gates()).allMatch(GateResult::passed);
    assertThat(good.metrics().get("f1")).isGreaterThan(good.metrics().get("baseline.heuristic.f1"));
  }
}

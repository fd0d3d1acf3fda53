package dev.plumb.evaluation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.plumb.evaluation.Fixtures.P;
import dev.plumb.testing.SharedSpark;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(SharedSpark.class)
class SlicesAndGatesTest {

  /** {@code correct} of {@code rows} predictions right in group g; labels alternate 1, 0. */
  static void add(List<P> out, String group, int rows, int correct) {
    for (int i = 0; i < rows; i++) {
      double y = out.size() % 2;
      boolean right = i < correct;
      double score = (y == 1) == right ? 0.9 : 0.1;
      out.add(new P(out.size(), y, score, group, 0));
    }
  }

  static EvalReport evaluate(SparkSession spark, List<P> rows, List<Gate> gates) {
    return Evaluator.evaluate(
        Fixtures.input(Fixtures.frame(spark, rows)),
        Fixtures.spec(EvalSpec.Mode.FULL, List.of("group"), gates));
  }

  @Test
  void simpsonsParadoxEachSliceAndThePooledValueAreReportedAsTheyAre(SparkSession spark) {
    // The kidney-stone numbers: model A is more accurate in each slice, B overall.
    List<P> a = new ArrayList<>();
    add(a, "small", 87, 81);
    add(a, "large", 263, 192);
    List<P> b = new ArrayList<>();
    add(b, "small", 270, 234);
    add(b, "large", 80, 55);
    Map<String, Double> ma = evaluate(spark, a, List.of()).metrics();
    Map<String, Double> mb = evaluate(spark, b, List.of()).metrics();
    assertThat(ma.get("slice.group=small.count")).isEqualTo(87.0);
    assertThat(ma.get("slice.group=small.accuracy")).isCloseTo(81.0 / 87, within(1e-12));
    assertThat(ma.get("slice.group=large.accuracy")).isCloseTo(192.0 / 263, within(1e-12));
    assertThat(ma.get("accuracy")).isCloseTo(273.0 / 350, within(1e-12));
    assertThat(mb.get("slice.group=small.accuracy")).isCloseTo(234.0 / 270, within(1e-12));
    assertThat(mb.get("slice.group=large.accuracy")).isCloseTo(55.0 / 80, within(1e-12));
    assertThat(mb.get("accuracy")).isCloseTo(289.0 / 350, within(1e-12));
    // The paradox itself: A wins every slice, B wins pooled.
    assertThat(ma.get("slice.group=small.accuracy"))
        .isGreaterThan(mb.get("slice.group=small.accuracy"));
    assertThat(ma.get("slice.group=large.accuracy"))
        .isGreaterThan(mb.get("slice.group=large.accuracy"));
    assertThat(ma.get("accuracy")).isLessThan(mb.get("accuracy"));
  }

  @Test
  void sliceMetricsAndTheWeakestSlicesMatchABruteForce(SparkSession spark) {
    List<P> rows = Fixtures.random(1500, 8);
    EvalReport r = evaluate(spark, rows, List.of());
    double worst = 2;
    String worstName = null;
    for (String g : List.of("a", "b", "c")) {
      List<P> in = rows.stream().filter(p -> p.group().equals(g)).toList();
      double tp = in.stream().filter(p -> p.label() == 1 && p.score() >= 0.5).count();
      double pos = in.stream().filter(p -> p.label() == 1).count();
      assertThat(r.metrics().get("slice.group=" + g + ".count")).isEqualTo((double) in.size());
      assertThat(r.metrics().get("slice.group=" + g + ".recall"))
          .isCloseTo(tp / pos, within(1e-12));
      // Scores are on a 1e-3 grid, the slice histograms' bin width: the area is exact.
      double auc = Fixtures.auc(in);
      assertThat(r.metrics().get("slice.group=" + g + ".roc_auc")).isCloseTo(auc, within(1e-12));
      if (auc < worst) {
        worst = auc;
        worstName = "group=" + g;
      }
    }
    assertThat(r.weakest()).hasSize(2);
    assertThat(r.weakest().get(0).name()).isEqualTo(worstName);
  }

  @Test
  void gatesPassAndFailAsDeclared(SparkSession spark) {
    List<P> rows = Fixtures.random(1500, 8);
    double auc = Fixtures.auc(rows);
    List<Gate> gates =
        List.of(
            Gate.atLeast("roc_auc", auc - 0.01),
            Gate.atLeast("roc_auc", auc + 0.01),
            new Gate("relative", "roc_auc", 0.2, null, "zero_rule"),
            new Gate("relative too high", "roc_auc", 0.6, null, "zero_rule"),
            new Gate("slices", "slice.group=*.count", 400.0, 600.0, null),
            Gate.atMost("ece", 1.0),
            Gate.atLeast("behaviour.directional.x.violation_rate", 0));
    EvalReport r = evaluate(spark, rows, gates);
    assertThat(r.gates())
        .extracting(GateResult::passed)
        .containsExactly(true, false, auc >= 0.7, false, true, true, false);
    assertThat(r.gates().get(1).detail())
        .isEqualTo(
            String.format(
                "roc_auc %.6g < %.6g (required: at least %.6g)", auc, auc + 0.01, auc + 0.01));
    assertThat(r.gates().get(3).detail()).contains("< 0.500000 (zero_rule) + 0.600000");
    assertThat(r.gates().get(4).detail()).contains("slice.group=a.count", "slice.group=c.count");
    assertThat(r.gates().get(6).detail())
        .startsWith("metric behaviour.directional.x.violation_rate was not measured");
    assertThat(r.passed()).isFalse();
    assertThat(EvalErrors.gateFailed(r.failedGates().get(0)).getMessage())
        .startsWith("Cannot pass gate 'roc_auc': roc_auc ");
  }
}

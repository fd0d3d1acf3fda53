package dev.plumb.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The tuning spec: parsing, checked keys, and a seeded sampler that stays inside the space. */
class TuneSpecTest {

  static final String SPEC =
      String.join(
          "\n",
          "metric: auc",
          "budget: {trials: 5, minutes: 2}",
          "seed: 3",
          "pruning: {after_rounds: 10, min_trials: 2}",
          "space:",
          "  eta: {low: 0.01, high: 0.3, log: true}",
          "  max_depth: {type: int, low: 2, high: 6}",
          "  subsample: {low: 0.5, high: 1.0}",
          "  grow_policy: {values: [depthwise, lossguide]}");

  @Test
  void parsesAndDrawsTheSameTrialsForTheSameSeedInsideTheSpace() {
    TuneSpec spec = TuneSpec.parse(SPEC, "test");
    assertThat(spec.metric()).isEqualTo("auc");
    assertThat(spec.trials()).isEqualTo(5);
    assertThat(spec.wallClock().toSeconds()).isEqualTo(120);
    assertThat(spec.pruneAfterRounds()).isEqualTo(10);
    assertThat(spec.pruneMinTrials()).isEqualTo(2);
    assertThat(spec.space())
        .extracting(TuneSpec.Param::kind)
        .containsExactly(
            TuneSpec.Kind.FLOAT, TuneSpec.Kind.INT, TuneSpec.Kind.FLOAT, TuneSpec.Kind.CHOICE);
    Set<Object> depths = new HashSet<>();
    Set<Object> policies = new HashSet<>();
    double lowestEta = 1;
    for (int t = 1; t <= 200; t++) {
      Map<String, Object> draw = spec.sample(t);
      assertThat(TuneSpec.parse(SPEC, "again").sample(t)).isEqualTo(draw);
      double eta = (Double) draw.get("eta");
      assertThat(eta).isBetween(0.01, 0.3);
      lowestEta = Math.min(lowestEta, eta);
      assertThat((Integer) draw.get("max_depth")).isBetween(2, 6);
      assertThat((Double) draw.get("subsample")).isBetween(0.5, 1.0);
      depths.add(draw.get("max_depth"));
      policies.add(draw.get("grow_policy"));
    }
    assertThat(depths).containsExactlyInAnyOrder(2, 3, 4, 5, 6);
    assertThat(policies).containsExactlyInAnyOrder("depthwise", "lossguide");
    // On a log scale a quarter of the draws fall below 0.01 * 30^0.25 = 0.023.
    assertThat(lowestEta).isLessThan(0.02);
    assertThat(spec.sample(1)).isNotEqualTo(spec.sample(2));
  }

  @Test
  void rejectsUnknownKeysAndEmptyRangesNamingThem() {
    assertThatThrownBy(() -> TuneSpec.parse("space: {eta: {low: 0.1, hi: 0.2}}", "spec.yaml"))
        .hasMessageContaining("unknown key 'hi' in space.eta")
        .hasMessageContaining("spec.yaml");
    assertThatThrownBy(() -> TuneSpec.parse("space: {eta: {low: 0.3, high: 0.1}}", "spec.yaml"))
        .hasMessageContaining("space.eta needs low < high");
    assertThatThrownBy(() -> TuneSpec.parse("budgets: {}\nspace: {eta: {low: 0, high: 1}}", "s"))
        .hasMessageContaining("unknown key 'budgets'");
    assertThatThrownBy(() -> TuneSpec.parse("space: {}", "s"))
        .hasMessageContaining("space is empty");
    assertThatThrownBy(() -> TuneSpec.parse("space: {eta: {low: 0, high: 1, log: true}}", "s"))
        .hasMessageContaining("low > 0 on a log scale");
  }
}

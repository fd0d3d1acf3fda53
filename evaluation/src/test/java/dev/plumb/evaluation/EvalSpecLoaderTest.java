package dev.plumb.evaluation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class EvalSpecLoaderTest {

  static final Path DEMO = Path.of("..", "conf", "eval", "demo.yaml");

  @Test
  void theDemoSpecLoadsEverySection() {
    EvalSpec s =
        EvalSpecLoader.load(
            new dev.plumb.features.io.HadoopStorage(new org.apache.hadoop.conf.Configuration()),
            DEMO.toAbsolutePath().toString());
    assertThat(s.mode()).isEqualTo(EvalSpec.Mode.FULL);
    assertThat(s.sample()).isEqualTo(new EvalSpec.Sample(0.1, 0, "channel", 17));
    assertThat(s.costs()).isEqualTo(new EvalSpec.Costs(1, 10));
    assertThat(s.slices().columns()).containsExactly("channel", "country");
    assertThat(s.heuristic()).isEqualTo(new EvalSpec.Heuristic("num_txn_30d", true, 30.0));
    assertThat(s.behaviour().invariance())
        .isEqualTo(new EvalSpec.Invariance("channel", List.of(0.0, 1.0, 2.0), 0.05));
    assertThat(s.behaviour().directional())
        .containsExactly(
            new EvalSpec.Directional("num_txn_30d", 5, 0.001),
            new EvalSpec.Directional("amount", 50, 0.001));
    assertThat(s.gates()).hasSize(8);
    assertThat(s.gates().get(3).metric()).isEqualTo("f1");
    assertThat(s.gates().get(3).baseline()).isEqualTo("heuristic");
    assertThat(s.gates().get(1))
        .isEqualTo(new Gate("beats the zero-rule baseline", "roc_auc", 0.1, null, "zero_rule"));
  }

  @Test
  void missingKeysTakeTheDefaults() {
    EvalSpec s = EvalSpecLoader.parse("mode: fast\n", "test");
    assertThat(s).isEqualTo(EvalSpec.defaults().withMode(EvalSpec.Mode.FAST));
  }

  @Test
  void unknownKeysAndBadValuesAreRejectedWithTheValidOnes() {
    assertThatThrownBy(() -> EvalSpecLoader.parse("slice:\n  columns: [a]\n", "spec x"))
        .hasMessageContaining("Cannot read spec x: unknown key 'slice' in the top level")
        .hasMessageContaining("valid keys: [baselines, behaviour, bootstrap,");
    assertThatThrownBy(
            () -> EvalSpecLoader.parse("gates:\n  - metric: roc_auc\n    above: 1\n", "spec x"))
        .hasMessageContaining("unknown key 'above' in an entry of 'gates'")
        .hasMessageContaining("at_least, at_most, baseline, metric, name");
    assertThatThrownBy(() -> EvalSpecLoader.parse("mode: slow\n", "spec x"))
        .hasMessageContaining("mode must be fast or full but was 'slow'");
    assertThatThrownBy(() -> EvalSpecLoader.parse("sweep_points: 30\n", "spec x"))
        .hasMessageContaining("sweep_points must be >= 100 and divide 100000");
    assertThatThrownBy(
            () ->
                EvalSpecLoader.parse(
                    "gates:\n  - metric: roc_auc\n    at_least: 0.1\n    baseline: oracle\n",
                    "spec x"))
        .hasMessageContaining("unknown baseline 'oracle'; valid baselines: [zero_rule,");
  }
}

package dev.plumb.evaluation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class ConfusionTest {

  @Test
  void derivedMetricsMatchTheirDefinitionsWorkedByHand() {
    // TP 3, FP 1, TN 4, FN 2 (10 rows).
    Confusion c = new Confusion(3, 1, 4, 2);
    assertThat(c.accuracy()).isEqualTo(0.7);
    assertThat(c.precision()).isEqualTo(0.75);
    assertThat(c.recall()).isEqualTo(0.6);
    assertThat(c.specificity()).isEqualTo(0.8);
    assertThat(c.falsePositiveRate()).isCloseTo(0.2, within(1e-15));
    // F1 = 2PR/(P+R) = 2*0.75*0.6/1.35 = 2/3
    assertThat(c.f1()).isCloseTo(2.0 / 3, within(1e-15));
    assertThat(c.balancedAccuracy()).isCloseTo(0.7, within(1e-15));
    // MCC = (3*4 - 1*2) / sqrt(4 * 5 * 5 * 6) = 10 / sqrt(600)
    assertThat(c.mcc()).isCloseTo(10 / Math.sqrt(600), within(1e-15));
  }

  @Test
  void undefinedRatiosAreZero() {
    Confusion none = new Confusion(0, 0, 9, 1);
    assertThat(none.precision()).isZero();
    assertThat(none.recall()).isZero();
    assertThat(none.f1()).isZero();
    assertThat(none.mcc()).isZero();
    assertThat(none.accuracy()).isEqualTo(0.9);
  }
}

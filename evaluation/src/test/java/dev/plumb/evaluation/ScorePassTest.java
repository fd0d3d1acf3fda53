package dev.plumb.evaluation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class ScorePassTest {

  @Test
  void theBootstrapWeightsFollowPoissonOne() {
    double[] share = new double[10];
    double mean = 0;
    for (byte w : ScorePass.POISSON) {
      share[w] += 1.0 / ScorePass.POISSON.length;
      mean += (double) w / ScorePass.POISSON.length;
    }
    // P(W = k) = e^-1 / k!, to the table's resolution of 2^-16.
    double factorial = 1;
    for (int k = 0; k < 7; k++) {
      factorial *= Math.max(k, 1);
      assertThat(share[k]).as("P(W=%d)", k).isCloseTo(Math.exp(-1) / factorial, within(2e-5));
    }
    assertThat(mean).isCloseTo(1.0, within(1e-4));
  }

  @Test
  void eachReplicateWeighsEveryRowAndTheirMeanIsTheRowCount() {
    ScorePass pass = new ScorePass(0.5, 10, 400, 3L);
    for (int i = 0; i < 2000; i++) {
      pass.add(i % 3 == 0 ? 1.0 : 0.0, (i % 100) / 100.0, i * 0x9E3779B97F4A7C15L);
    }
    double total = 0;
    for (int r = 0; r < 400; r++) {
      double n = 0;
      for (int cell = 0; cell < ScorePass.COARSE_BINS * 4; cell++) {
        n += pass.repCell(r, cell);
      }
      total += n;
    }
    // Each replicate's size is a sum of 2000 Poisson(1) weights: mean 2000, sd ~45; the mean
    // over 400 replicates is within ~2.2 of 2000 (one sd).
    assertThat(total / 400).isCloseTo(2000, within(10.0));
  }
}

package dev.plumb.evaluation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class CurvesTest {

  /** Random labels and scores on a 1/bins grid, as histograms, plus the raw rows. */
  record Data(double[] pos, double[] neg, double[] y, double[] p) {}

  static Data data(int rows, int bins, long seed) {
    Random random = new Random(seed);
    double[] pos = new double[bins];
    double[] neg = new double[bins];
    double[] y = new double[rows];
    double[] p = new double[rows];
    for (int i = 0; i < rows; i++) {
      y[i] = random.nextDouble() < 0.3 ? 1 : 0;
      int b = Math.min(bins - 1, (int) ((0.3 * y[i] + 0.7 * random.nextDouble()) * bins));
      p[i] = (double) b / bins;
      if (y[i] == 1) {
        pos[b]++;
      } else {
        neg[b]++;
      }
    }
    return new Data(pos, neg, y, p);
  }

  @Test
  void binnedRocAucEqualsThePairwiseCountWithTiesAsHalf() {
    Data d = data(800, 50, 3);
    double wins = 0;
    double pairs = 0;
    for (int i = 0; i < d.y().length; i++) {
      for (int j = 0; j < d.y().length; j++) {
        if (d.y()[i] == 1 && d.y()[j] == 0) {
          pairs++;
          wins += d.p()[i] > d.p()[j] ? 1 : d.p()[i] == d.p()[j] ? 0.5 : 0;
        }
      }
    }
    assertThat(Curves.rocAuc(d.pos(), d.neg())).isCloseTo(wins / pairs, within(1e-12));
  }

  @Test
  void binnedAreasStayWithinTheirErrorBoundsWhichAreZeroWhenEachBinHoldsOneScore() {
    Random random = new Random(12);
    for (int round = 0; round < 20; round++) {
      // Scores on a 1e-3 grid, histogrammed in 50 bins: several scores per bin.
      int rows = 300 + random.nextInt(300);
      double prevalence = 0.05 + 0.4 * random.nextDouble();
      List<Fixtures.P> all = new java.util.ArrayList<>();
      double[] pos = new double[50];
      double[] neg = new double[50];
      double[] lo = ScorePass.emptyLows(50);
      double[] hi = ScorePass.emptyHighs(50);
      double[] pos1000 = new double[1000];
      double[] neg1000 = new double[1000];
      for (int i = 0; i < rows; i++) {
        double y = random.nextDouble() < prevalence ? 1 : 0;
        int grid = Math.min(999, (int) ((0.3 * y + 0.7 * random.nextDouble()) * 1000));
        double p = grid / 1000.0;
        all.add(new Fixtures.P(i, y, p, "a", 0));
        int b = grid / 20;
        (y == 1 ? pos : neg)[b]++;
        lo[b] = Math.min(lo[b], p);
        hi[b] = Math.max(hi[b], p);
        (y == 1 ? pos1000 : neg1000)[grid]++;
      }
      if (Curves.sum(pos) == 0 || Curves.sum(neg) == 0) {
        continue;
      }
      Curves.Binned binned = Curves.binned(pos, neg, lo, hi);
      double auc = Fixtures.auc(all);
      double ap = Fixtures.averagePrecision(all);
      assertThat(binned.rocAucErrorBound()).isPositive();
      assertThat(Math.abs(binned.rocAuc() - auc)).isLessThanOrEqualTo(binned.rocAucErrorBound());
      assertThat(Math.abs(binned.averagePrecision() - ap))
          .isLessThanOrEqualTo(binned.averagePrecisionErrorBound());
      // One bin per grid score: every bin holds one score, the bins are exact.
      double[] lo1000 = new double[1000];
      Curves.Binned fine = Curves.binned(pos1000, neg1000, lo1000, lo1000);
      assertThat(fine.rocAucErrorBound()).isZero();
      assertThat(fine.averagePrecisionErrorBound()).isZero();
      assertThat(fine.rocAuc()).isCloseTo(auc, within(1e-12));
      assertThat(fine.averagePrecision()).isCloseTo(ap, within(1e-12));
    }
  }

  @Test
  void sweepBestF1AndCheapestThresholdMatchABruteForceOverTheRows() {
    Data d = data(600, 100, 5);
    List<Curves.SweepRow> sweep = Curves.sweep(d.pos(), d.neg(), 100);
    assertThat(sweep).hasSize(101);
    for (Curves.SweepRow row : sweep) {
      double tp = 0;
      double fp = 0;
      double fn = 0;
      for (int i = 0; i < d.y().length; i++) {
        boolean predicted = d.p()[i] >= row.threshold() - 1e-12;
        tp += predicted && d.y()[i] == 1 ? 1 : 0;
        fp += predicted && d.y()[i] == 0 ? 1 : 0;
        fn += !predicted && d.y()[i] == 1 ? 1 : 0;
      }
      assertThat(row.tp()).isEqualTo(tp);
      assertThat(row.fp()).isEqualTo(fp);
      assertThat(row.recall()).isCloseTo(tp / (tp + fn), within(1e-12));
      assertThat(row.f1()).isCloseTo(2 * tp / (2 * tp + fp + fn), within(1e-12));
    }
    double bestF1 = -1;
    double bestF1At = -1;
    double bestCost = Double.MAX_VALUE;
    double bestCostAt = -1;
    for (int t = 100; t >= 0; t--) {
      double th = t / 100.0;
      double tp = 0;
      double fp = 0;
      double fn = 0;
      for (int i = 0; i < d.y().length; i++) {
        boolean predicted = d.p()[i] >= th - 1e-12;
        tp += predicted && d.y()[i] == 1 ? 1 : 0;
        fp += predicted && d.y()[i] == 0 ? 1 : 0;
        fn += !predicted && d.y()[i] == 1 ? 1 : 0;
      }
      double f1 = 2 * tp / (2 * tp + fp + fn);
      if (f1 > bestF1) {
        bestF1 = f1;
        bestF1At = th;
      }
      double cost = 1 * fp + 5 * fn;
      if (cost < bestCost) {
        bestCost = cost;
        bestCostAt = th;
      }
    }
    Curves.Choice f1 = Curves.bestF1(d.pos(), d.neg());
    assertThat(f1.confusion().f1()).isCloseTo(bestF1, within(1e-12));
    assertThat(f1.threshold()).isCloseTo(bestF1At, within(1e-12));
    Curves.Choice cost = Curves.cheapest(d.pos(), d.neg(), 1, 5);
    assertThat(cost.cost()).isEqualTo(bestCost);
    assertThat(cost.threshold()).isCloseTo(bestCostAt, within(1e-12));
  }

  @Test
  void rocPointsRunFromTheOriginToOneOneAndAreThinnedToTheLimit() {
    Data d = data(5000, 1000, 9);
    List<Curves.Point> roc = Curves.roc(d.pos(), d.neg(), 50);
    assertThat(roc).hasSize(50);
    assertThat(roc.get(0).x()).isZero();
    assertThat(roc.get(0).y()).isZero();
    assertThat(roc.get(49).x()).isEqualTo(1.0);
    assertThat(roc.get(49).y()).isEqualTo(1.0);
  }
}

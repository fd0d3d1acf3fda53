package dev.plumb.evaluation;

import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.plumb.evaluation.Fixtures.P;
import dev.plumb.testing.SharedSpark;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The paired comparison: each model's metrics equal their definitions (scikit-learn's values on the
 * tied fixture, and the test's own implementations), a model compared with itself differs by
 * exactly 0 in every replicate, and a clearly better model is significantly better.
 */
@ExtendWith(SharedSpark.class)
class PairedMetricsTest {

  @Test
  void eachModelsAreasEqualScikitLearnsAndAModelDiffersFromItselfByZero(SparkSession spark)
      throws Exception {
    AveragePrecisionTest.Fixture f = AveragePrecisionTest.fixture();
    Dataset<Row> frame =
        Fixtures.frame(spark, f.rows()).withColumn("other", col("score")).repartition(3);
    PairedMetrics.Cells cells = PairedMetrics.cells(frame, "score", "other", "label");
    assertThat(cells.rows()).isEqualTo(400);
    Map<String, PairedMetrics.Difference> d =
        PairedMetrics.compare(cells, 0.5, 0.5, 10, 200, 0.95, 7);
    assertThat(d.get("roc_auc").a()).isCloseTo(f.sklearn().get("roc_auc_score"), within(1e-12));
    assertThat(d.get("average_precision").a())
        .isCloseTo(f.sklearn().get("average_precision_score"), within(1e-12));
    for (PairedMetrics.Difference x : d.values()) {
      assertThat(x.difference()).as(x.metric()).isEqualTo(0.0);
      assertThat(x.low()).as(x.metric()).isEqualTo(0.0);
      assertThat(x.high()).as(x.metric()).isEqualTo(0.0);
      assertThat(x.significantlyBetter()).isFalse();
      assertThat(x.significantlyWorse()).isFalse();
    }
  }

  @Test
  void pointMetricsFollowTheirDefinitionsAndABetterModelWins(SparkSession spark) {
    List<P> rows = Fixtures.random(3000, 11);
    Random noise = new Random(5);
    List<double[]> weak = new ArrayList<>();
    for (P p : rows) {
      // A weaker model: the same scores, mixed with noise.
      weak.add(
          new double[] {
            p.label(), Math.min(1, Math.max(0, 0.5 * p.score() + 0.5 * noise.nextDouble()))
          });
    }
    Dataset<Row> frame = Fixtures.frame(spark, rows);
    List<Row> weakRows = new ArrayList<>();
    for (int i = 0; i < rows.size(); i++) {
      weakRows.add(org.apache.spark.sql.RowFactory.create(rows.get(i).id(), weak.get(i)[1]));
    }
    Dataset<Row> weakFrame =
        spark.createDataFrame(
            weakRows,
            new org.apache.spark.sql.types.StructType().add("id", "long").add("weak", "double"));
    Dataset<Row> both = frame.join(weakFrame, "id");
    PairedMetrics.Cells cells = PairedMetrics.cells(both, "score", "weak", "label");
    Map<String, PairedMetrics.Difference> d =
        PairedMetrics.compare(cells, 0.5, 0.4, 10, 300, 0.95, 3);

    // Model A's point metrics against the test's own implementations of the definitions.
    assertThat(d.get("roc_auc").a()).isCloseTo(Fixtures.auc(rows), within(1e-12));
    assertThat(d.get("average_precision").a())
        .isCloseTo(Fixtures.averagePrecision(rows), within(1e-12));
    double logLoss = 0;
    double brier = 0;
    double tp = 0;
    double fp = 0;
    double fn = 0;
    double[] residual = new double[10];
    for (double[] w : weak) {
      double y = w[0];
      double p = w[1];
      double q = Math.min(Math.max(p, 1e-15), 1 - 1e-15);
      logLoss += -(y * Math.log(q) + (1 - y) * Math.log(1 - q));
      brier += (p - y) * (p - y);
      boolean predicted = p >= 0.4;
      tp += predicted && y == 1 ? 1 : 0;
      fp += predicted && y == 0 ? 1 : 0;
      fn += !predicted && y == 1 ? 1 : 0;
      residual[Math.min(9, (int) Math.floor(p * 10))] += y - p;
    }
    double n = weak.size();
    double ece = 0;
    for (double r : residual) {
      ece += Math.abs(r) / n;
    }
    assertThat(d.get("log_loss").b()).isCloseTo(logLoss / n, within(1e-12));
    assertThat(d.get("brier").b()).isCloseTo(brier / n, within(1e-12));
    assertThat(d.get("precision").b()).isCloseTo(tp / (tp + fp), within(1e-12));
    assertThat(d.get("recall").b()).isCloseTo(tp / (tp + fn), within(1e-12));
    assertThat(d.get("f1").b()).isCloseTo(2 * tp / (2 * tp + fp + fn), within(1e-12));
    assertThat(d.get("ece").b()).isCloseTo(ece, within(1e-12));

    PairedMetrics.Difference auc = d.get("roc_auc");
    assertThat(auc.difference()).isCloseTo(auc.a() - auc.b(), within(1e-15));
    assertThat(auc.difference()).isGreaterThan(0.05);
    assertThat(auc.low()).isGreaterThan(0).isLessThan(auc.difference());
    assertThat(auc.high()).isGreaterThan(auc.difference());
    assertThat(auc.significantlyBetter()).isTrue();
    // Lower is better for log loss: the weak model's is higher, so A is significantly better.
    assertThat(d.get("log_loss").difference()).isLessThan(0);
    assertThat(d.get("log_loss").significantlyBetter()).isTrue();

    // The reverse comparison is the mirror image.
    PairedMetrics.Cells reversed = PairedMetrics.cells(both, "weak", "score", "label");
    PairedMetrics.Difference back =
        PairedMetrics.compare(reversed, 0.4, 0.5, 10, 300, 0.95, 3).get("roc_auc");
    assertThat(back.difference()).isCloseTo(-auc.difference(), within(1e-12));
    assertThat(back.significantlyWorse()).isTrue();
  }

  @Test
  void poissonDrawsHaveTheirMean() {
    java.util.SplittableRandom rng = new java.util.SplittableRandom(1);
    for (double mean : new double[] {1, 4, 50}) {
      double sum = 0;
      double sq = 0;
      int n = 20000;
      for (int i = 0; i < n; i++) {
        double x = PairedMetrics.poisson(rng, mean);
        sum += x;
        sq += x * x;
      }
      double m = sum / n;
      assertThat(m).as("mean %s", mean).isCloseTo(mean, within(0.05 * mean));
      assertThat(sq / n - m * m).as("variance %s", mean).isCloseTo(mean, within(0.1 * mean));
    }
  }
}

package dev.plumb.evaluation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.plumb.testing.SharedSpark;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(SharedSpark.class)
class BinaryMetricsTest {

  static final StructType SCHEMA =
      new StructType().add("label", DataTypes.DoubleType).add("score", DataTypes.DoubleType);

  @Test
  void matchesABruteForceComputationOnTheSameRows(SparkSession spark) {
    Random random = new Random(11);
    List<Row> rows = new ArrayList<>();
    double[] labels = new double[2000];
    double[] scores = new double[2000];
    for (int i = 0; i < labels.length; i++) {
      labels[i] = random.nextDouble() < 0.2 ? 1.0 : 0.0;
      // Scores rounded to 2 decimals so that ties occur and must be handled.
      scores[i] = Math.round((0.35 * labels[i] + 0.65 * random.nextDouble()) * 100) / 100.0;
      rows.add(RowFactory.create(labels[i], scores[i]));
    }
    Dataset<Row> predictions = spark.createDataFrame(rows, SCHEMA);
    BinaryMetrics.Result r = BinaryMetrics.compute(predictions, "label", "score", 0.5);

    double pairs = 0;
    double wins = 0;
    double loss = 0;
    long positives = 0;
    long correct = 0;
    for (int i = 0; i < labels.length; i++) {
      double p = Math.min(Math.max(scores[i], 1e-15), 1 - 1e-15);
      loss += -(labels[i] * Math.log(p) + (1 - labels[i]) * Math.log(1 - p));
      positives += (long) labels[i];
      correct += ((scores[i] >= 0.5) == (labels[i] == 1.0)) ? 1 : 0;
      if (labels[i] != 1.0) {
        continue;
      }
      for (int j = 0; j < labels.length; j++) {
        if (labels[j] == 0.0) {
          pairs++;
          wins += scores[i] > scores[j] ? 1 : scores[i] == scores[j] ? 0.5 : 0;
        }
      }
    }
    assertThat(r.count()).isEqualTo(2000);
    assertThat(r.positives()).isEqualTo(positives);
    assertThat(r.rocAuc()).isCloseTo(wins / pairs, within(1e-9));
    assertThat(r.logLoss()).isCloseTo(loss / labels.length, within(1e-9));
    assertThat(r.accuracy()).isCloseTo((double) correct / labels.length, within(1e-12));
    // Average precision: one threshold per distinct score, step-wise.
    double ap = 0;
    double previousRecall = 0;
    double[] thresholds = java.util.Arrays.stream(scores).distinct().sorted().toArray();
    for (int t = thresholds.length - 1; t >= 0; t--) {
      double tp = 0;
      double predicted = 0;
      for (int i = 0; i < labels.length; i++) {
        if (scores[i] >= thresholds[t]) {
          predicted++;
          tp += labels[i];
        }
      }
      ap += (tp / positives - previousRecall) * tp / predicted;
      previousRecall = tp / positives;
    }
    assertThat(r.averagePrecision()).isCloseTo(ap, within(1e-12));
  }

  @Test
  void aPerfectRankingHasAreaOne(SparkSession spark) {
    List<Row> rows =
        List.of(
            RowFactory.create(0.0, 0.1),
            RowFactory.create(0.0, 0.2),
            RowFactory.create(1.0, 0.8),
            RowFactory.create(1.0, 0.9));
    BinaryMetrics.Result r =
        BinaryMetrics.compute(spark.createDataFrame(rows, SCHEMA), "label", "score", 0.5);
    assertThat(r.rocAuc()).isEqualTo(1.0);
    assertThat(r.averagePrecision()).isEqualTo(1.0);
    assertThat(r.accuracy()).isEqualTo(1.0);
  }

  @Test
  void oneClassOrMissingColumnsFailWithAClearMessage(SparkSession spark) {
    List<Row> rows = List.of(RowFactory.create(0.0, 0.1), RowFactory.create(0.0, 0.3));
    Dataset<Row> oneClass = spark.createDataFrame(rows, SCHEMA);
    assertThatThrownBy(() -> BinaryMetrics.compute(oneClass, "label", "score", 0.5))
        .hasMessageContaining("only one class (0 positives of 2 rows)");
    assertThatThrownBy(() -> BinaryMetrics.compute(oneClass, "label", "prob", 0.5))
        .hasMessageContaining("column 'prob' is missing");
    List<Row> withNull =
        List.of(
            RowFactory.create(0.0, 0.1), RowFactory.create(1.0, null), RowFactory.create(1.0, 0.7));
    assertThatThrownBy(
            () ->
                BinaryMetrics.compute(
                    spark.createDataFrame(withNull, SCHEMA), "label", "score", 0.5))
        .hasMessage(
            "Cannot compute exact areas: 1 rows have a null score (fix the scorer or the data;"
                + " rows are never dropped silently)");
  }
}

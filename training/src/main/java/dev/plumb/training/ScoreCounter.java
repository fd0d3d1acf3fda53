package dev.plumb.training;

import dev.plumb.features.DistinctCounts;
import java.io.ByteArrayInputStream;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import ml.dmlc.xgboost4j.java.Booster;
import ml.dmlc.xgboost4j.java.XGBoost;
import ml.dmlc.xgboost4j.java.XGBoostError;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Row;

/**
 * Scores a partition's rows with the native booster, as {@link BoosterScorer} does, and instead of
 * the scored rows returns one {@link DistinctCounts}: its distinct scores, highest first ({@code
 * Double.compare} order: NaN first, -0.0 counted as 0.0, as Spark groups doubles), and per score
 * the rows with a label ({@code first}) and the positives, label equal to 1, among them ({@code
 * second}). What a Spark {@code groupBy(score)} over the scored rows counts, without a row per
 * input row or a shuffle ({@link ModelFiles#scoreCounts}).
 */
final class ScoreCounter implements FlatMapFunction<Iterator<Row>, DistinctCounts> {

  private static final long serialVersionUID = 1L;
  private static final int BATCH = 8192;

  private final byte[] booster;
  private final int[] featureIndexes;
  private final int iterationEnd;
  private final int labelIndex;

  ScoreCounter(byte[] booster, int[] featureIndexes, int iterationEnd, int labelIndex) {
    this.booster = booster.clone();
    this.featureIndexes = featureIndexes.clone();
    this.iterationEnd = iterationEnd;
    this.labelIndex = labelIndex;
  }

  @Override
  public Iterator<DistinctCounts> call(Iterator<Row> rows)
      throws XGBoostError, java.io.IOException {
    // Per distinct score (its bits): {labelled rows, positives}.
    HashMap<Long, long[]> counts = new HashMap<>();
    if (rows.hasNext()) {
      Booster model = XGBoost.loadModel(new ByteArrayInputStream(booster));
      Iterator<Row> none =
          Batches.map(
              rows,
              BATCH,
              batch -> {
                float[][] predictions = Batches.predict(model, batch, featureIndexes, iterationEnd);
                for (int r = 0; r < batch.size(); r++) {
                  double score = BoosterScorer.scoreOf(predictions[r]);
                  long[] c =
                      counts.computeIfAbsent(
                          Double.doubleToLongBits(score == 0.0 ? 0.0 : score), k -> new long[2]);
                  Row row = batch.get(r);
                  if (!row.isNullAt(labelIndex)) {
                    c[0]++;
                    if (((Number) row.get(labelIndex)).doubleValue() == 1.0) {
                      c[1]++;
                    }
                  }
                }
                return List.of();
              },
              model::dispose);
      // Every batch is counted and none gives a row: one call runs the partition through.
      none.hasNext();
    }
    double[] scores = new double[counts.size()];
    int i = 0;
    for (long bits : counts.keySet()) {
      scores[i++] = Double.longBitsToDouble(bits);
    }
    // Ascending by Double.compare (NaN last), then read backwards.
    Arrays.sort(scores);
    int n = scores.length;
    double[] byScore = new double[n];
    long[] labelled = new long[n];
    long[] positives = new long[n];
    for (int k = 0; k < n; k++) {
      double s = scores[n - 1 - k];
      long[] c = counts.get(Double.doubleToLongBits(s));
      byScore[k] = s;
      labelled[k] = c[0];
      positives[k] = c[1];
    }
    return List.of(new DistinctCounts(byScore, labelled, positives)).iterator();
  }
}

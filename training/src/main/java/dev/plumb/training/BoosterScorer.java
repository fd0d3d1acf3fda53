package dev.plumb.training;

import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import ml.dmlc.xgboost4j.java.Booster;
import ml.dmlc.xgboost4j.java.XGBoost;
import ml.dmlc.xgboost4j.java.XGBoostError;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;

/**
 * Scores rows with the native booster, partition by partition, in batches: each row gets its score
 * ({@link #scoreOf}) using trees {@code [0, iterationEnd)} (the best iteration + 1). The booster
 * travels as its UBJ bytes, never as a serialised Java object.
 */
final class BoosterScorer implements MapPartitionsFunction<Row, Row> {

  private static final long serialVersionUID = 1L;
  private static final int BATCH = 8192;

  private final byte[] booster;
  private final int[] featureIndexes;
  private final int iterationEnd;

  BoosterScorer(byte[] booster, int[] featureIndexes, int iterationEnd) {
    this.booster = booster.clone();
    this.featureIndexes = featureIndexes.clone();
    this.iterationEnd = iterationEnd;
  }

  @Override
  public Iterator<Row> call(Iterator<Row> rows) throws XGBoostError, java.io.IOException {
    Booster model = XGBoost.loadModel(new ByteArrayInputStream(booster));
    return Batches.map(
        rows,
        BATCH,
        batch -> {
          float[][] predictions = Batches.predict(model, batch, featureIndexes, iterationEnd);
          List<Row> out = new ArrayList<>(batch.size());
          for (int r = 0; r < batch.size(); r++) {
            out.add(Batches.append(batch.get(r), scoreOf(predictions[r])));
          }
          return out;
        },
        model::dispose);
  }

  /**
   * One value (binary probability of the positive class, or a regression prediction) is the score;
   * several (multiclass probabilities) give the most likely class, the lowest index on ties.
   */
  static double scoreOf(float[] prediction) {
    if (prediction.length == 1) {
      return prediction[0];
    }
    int best = 0;
    for (int k = 1; k < prediction.length; k++) {
      if (prediction[k] > prediction[best]) {
        best = k;
      }
    }
    return best;
  }
}

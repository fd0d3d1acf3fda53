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
import org.apache.spark.sql.RowFactory;

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
    int[] range = iterationEnd > 0 ? new int[] {0, iterationEnd} : new int[] {0, 0};
    return new Iterator<>() {
      private final List<Row> out = new ArrayList<>(BATCH);
      private int next = 0;

      @Override
      public boolean hasNext() {
        if (next < out.size()) {
          return true;
        }
        out.clear();
        next = 0;
        List<Row> batch = new ArrayList<>(BATCH);
        while (rows.hasNext() && batch.size() < BATCH) {
          batch.add(rows.next());
        }
        if (batch.isEmpty()) {
          model.dispose();
          return false;
        }
        int ncol = featureIndexes.length;
        float[] values = new float[batch.size() * ncol];
        for (int r = 0; r < batch.size(); r++) {
          Row row = batch.get(r);
          for (int c = 0; c < ncol; c++) {
            int i = featureIndexes[c];
            values[r * ncol + c] = row.isNullAt(i) ? Float.NaN : ((Number) row.get(i)).floatValue();
          }
        }
        float[][] predictions;
        try {
          predictions = model.inplace_predict(values, batch.size(), ncol, Float.NaN, range);
        } catch (XGBoostError e) {
          throw new IllegalStateException("Cannot score rows: " + e.getMessage(), e);
        }
        for (int r = 0; r < batch.size(); r++) {
          Row row = batch.get(r);
          Object[] cells = new Object[row.length() + 1];
          for (int c = 0; c < row.length(); c++) {
            cells[c] = row.get(c);
          }
          cells[row.length()] = scoreOf(predictions[r]);
          out.add(RowFactory.create(cells));
        }
        return true;
      }

      @Override
      public Row next() {
        if (!hasNext()) {
          throw new java.util.NoSuchElementException();
        }
        return out.get(next++);
      }
    };
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

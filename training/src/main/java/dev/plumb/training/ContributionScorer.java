package dev.plumb.training;

import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import ml.dmlc.xgboost4j.java.Booster;
import ml.dmlc.xgboost4j.java.DMatrix;
import ml.dmlc.xgboost4j.java.XGBoost;
import ml.dmlc.xgboost4j.java.XGBoostError;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/**
 * Scores rows like {@link BoosterScorer} and adds each row's SHAP feature contributions (XGBoost's
 * {@code pred_contribs}, on the margin scale): the margin, the bias (expected margin) and the
 * {@code topK} features with the largest absolute contribution as (feature, contribution) pairs.
 * The contributions of all features plus the bias sum to the margin. Binary and regression models
 * only (one output group).
 */
final class ContributionScorer implements MapPartitionsFunction<Row, Row> {

  private static final long serialVersionUID = 1L;
  private static final int BATCH = 4096;

  private final byte[] booster;
  private final int[] featureIndexes;
  private final String[] featureNames;
  private final int iterationEnd;
  private final int topK;

  ContributionScorer(
      byte[] booster, int[] featureIndexes, String[] featureNames, int iterationEnd, int topK) {
    this.booster = booster.clone();
    this.featureIndexes = featureIndexes.clone();
    this.featureNames = featureNames.clone();
    this.iterationEnd = iterationEnd;
    this.topK = topK;
  }

  @Override
  public Iterator<Row> call(Iterator<Row> rows) throws XGBoostError, java.io.IOException {
    Booster model = XGBoost.loadModel(new ByteArrayInputStream(booster));
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
        float[][] probability;
        float[][] margin;
        float[][] contributions;
        DMatrix m = null;
        try {
          m = new DMatrix(values, batch.size(), ncol, Float.NaN);
          probability = model.predict(m, false, iterationEnd);
          margin = model.predict(m, true, iterationEnd);
          contributions = model.predictContrib(m, iterationEnd);
        } catch (XGBoostError e) {
          throw new IllegalStateException("Cannot score rows: " + e.getMessage(), e);
        } finally {
          if (m != null) {
            m.dispose();
          }
        }
        for (int r = 0; r < batch.size(); r++) {
          Row row = batch.get(r);
          Object[] cells = new Object[row.length() + 4];
          for (int c = 0; c < row.length(); c++) {
            cells[c] = row.get(c);
          }
          float[] contrib = contributions[r];
          cells[row.length()] = BoosterScorer.scoreOf(probability[r]);
          cells[row.length() + 1] = (double) margin[r][0];
          cells[row.length() + 2] = (double) contrib[ncol];
          // Spark's row encoder takes a Scala sequence for an array column.
          cells[row.length() + 3] =
              scala.collection.JavaConverters.asScalaBuffer(top(contrib, ncol)).toList();
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

  /** The {@code topK} largest absolute contributions, largest first, ties by feature order. */
  private List<Row> top(float[] contrib, int ncol) {
    Integer[] order = new Integer[ncol];
    for (int i = 0; i < ncol; i++) {
      order[i] = i;
    }
    Arrays.sort(order, Comparator.comparingDouble((Integer i) -> -Math.abs(contrib[i])));
    List<Row> pairs = new ArrayList<>(Math.min(topK, ncol));
    for (int k = 0; k < Math.min(topK, ncol); k++) {
      pairs.add(RowFactory.create(featureNames[order[k]], (double) contrib[order[k]]));
    }
    return pairs;
  }
}

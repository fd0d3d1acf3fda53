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
    int ncol = featureIndexes.length;
    return Batches.map(
        rows,
        BATCH,
        batch -> {
          float[][] probability;
          float[][] margin;
          float[][] contributions;
          DMatrix m = null;
          try {
            m = new DMatrix(Batches.matrix(batch, featureIndexes), batch.size(), ncol, Float.NaN);
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
          List<Row> out = new ArrayList<>(batch.size());
          for (int r = 0; r < batch.size(); r++) {
            float[] contrib = contributions[r];
            out.add(
                Batches.append(
                    batch.get(r),
                    BoosterScorer.scoreOf(probability[r]),
                    (double) margin[r][0],
                    (double) contrib[ncol],
                    // Spark's row encoder takes a Scala sequence for an array column.
                    scala.collection.JavaConverters.asScalaBuffer(top(contrib, ncol)).toList()));
          }
          return out;
        },
        model::dispose);
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

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
 * Scores a partition's rows with the native booster, as {@link BoosterScorer} does, and instead of
 * the scored rows returns one row of counts: per feature and for the score, the rows in each bin of
 * the given edges, then the rows whose score is at least the threshold, then all rows. The layout
 * per binned column is {@code [null, x <= e0, e0 < x <= e1, ..., x > e(k-1)]}, with Spark SQL's
 * ordering of doubles (NaN above everything, -0.0 equal to 0.0), so the counts are those a Spark
 * aggregation over the scored rows gives ({@link ModelFiles#scoreIntoBins}).
 */
final class BinningScorer implements MapPartitionsFunction<Row, Row> {

  private static final long serialVersionUID = 1L;
  private static final int BATCH = 8192;

  private final byte[] booster;
  private final int[] featureIndexes;
  private final int iterationEnd;
  private final double[][] featureEdges;
  private final double[] scoreEdges;
  private final double threshold;
  private final int scoredFlag;
  private final int[] flags;

  BinningScorer(
      byte[] booster,
      int[] featureIndexes,
      int iterationEnd,
      double[][] featureEdges,
      double[] scoreEdges,
      double threshold,
      int scoredFlag,
      int[] flags) {
    this.booster = booster.clone();
    this.featureIndexes = featureIndexes.clone();
    this.iterationEnd = iterationEnd;
    this.featureEdges = featureEdges.clone();
    this.scoreEdges = scoreEdges.clone();
    this.threshold = threshold;
    this.scoredFlag = scoredFlag;
    this.flags = flags.clone();
  }

  /**
   * Where each binned column's counts start in the flat counts array; the last entry is its size.
   */
  static int[] offsets(double[][] featureEdges, double[] scoreEdges) {
    int[] at = new int[featureEdges.length + 2];
    for (int f = 0; f < featureEdges.length; f++) {
      at[f + 1] = at[f] + featureEdges[f].length + 2;
    }
    at[featureEdges.length + 1] = at[featureEdges.length] + scoreEdges.length + 2;
    return at;
  }

  @Override
  public Iterator<Row> call(Iterator<Row> rows) throws XGBoostError, java.io.IOException {
    int[] at = offsets(featureEdges, scoreEdges);
    int scoreAt = at[featureEdges.length];
    int positivesAt = at[featureEdges.length + 1];
    int scoredAt = positivesAt + 1;
    int flagsAt = scoredAt + 1;
    int allAt = flagsAt + flags.length;
    long[] counts = new long[allAt + 1];
    if (!rows.hasNext()) {
      return List.of(RowFactory.create((Object) counts)).iterator();
    }
    Booster model = XGBoost.loadModel(new ByteArrayInputStream(booster));
    try {
      List<Row> batch = new ArrayList<>(BATCH);
      while (rows.hasNext()) {
        batch.clear();
        while (rows.hasNext() && batch.size() < BATCH) {
          Row row = rows.next();
          counts[allAt]++;
          for (int k = 0; k < flags.length; k++) {
            if (!row.isNullAt(flags[k]) && row.getBoolean(flags[k])) {
              counts[flagsAt + k]++;
            }
          }
          if (scoredFlag < 0 || (!row.isNullAt(scoredFlag) && row.getBoolean(scoredFlag))) {
            batch.add(row);
          }
        }
        if (batch.isEmpty()) {
          continue;
        }
        float[][] predictions = Batches.predict(model, batch, featureIndexes, iterationEnd);
        for (int r = 0; r < batch.size(); r++) {
          Row row = batch.get(r);
          for (int f = 0; f < featureIndexes.length; f++) {
            int i = featureIndexes[f];
            counts[
                at[f]
                    + (row.isNullAt(i)
                        ? 0
                        : bin(((Number) row.get(i)).doubleValue(), featureEdges[f]))]++;
          }
          double score = BoosterScorer.scoreOf(predictions[r]);
          counts[scoreAt + bin(score, scoreEdges)]++;
          if (atLeast(score, threshold)) {
            counts[positivesAt]++;
          }
        }
        counts[scoredAt] += batch.size();
      }
    } finally {
      model.dispose();
    }
    return List.of(RowFactory.create((Object) counts)).iterator();
  }

  /** The bin of a non-null value: 1 + the number of edges below it (edges ascending). */
  static int bin(double x, double[] edges) {
    int lo = 0;
    int hi = edges.length;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (atMost(x, edges[mid])) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    return lo + 1;
  }

  /** {@code x <= edge} as Spark SQL compares doubles: NaN is above every other value. */
  static boolean atMost(double x, double edge) {
    if (Double.isNaN(edge)) {
      return true;
    }
    return !Double.isNaN(x) && x <= edge;
  }

  /** {@code x >= t} as Spark SQL compares doubles. */
  static boolean atLeast(double x, double t) {
    if (Double.isNaN(x)) {
      return true;
    }
    return !Double.isNaN(t) && x >= t;
  }
}

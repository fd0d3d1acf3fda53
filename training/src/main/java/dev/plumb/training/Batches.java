package dev.plumb.training;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.function.Function;
import ml.dmlc.xgboost4j.java.Booster;
import ml.dmlc.xgboost4j.java.XGBoostError;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/** What the booster scorers share: rows in batches, their feature matrix, rows with cells added. */
final class Batches {

  private Batches() {}

  /**
   * The rows of {@code rows} in batches of {@code size}, each turned into output rows by {@code
   * score}; {@code done} runs once the input is exhausted (to free the native booster).
   */
  static Iterator<Row> map(
      Iterator<Row> rows, int size, Function<List<Row>, List<Row>> score, Runnable done) {
    return new Iterator<>() {
      private List<Row> out = List.of();
      private int next = 0;
      private boolean finished = false;

      @Override
      public boolean hasNext() {
        while (next >= out.size()) {
          if (finished) {
            return false;
          }
          List<Row> batch = new ArrayList<>(size);
          while (rows.hasNext() && batch.size() < size) {
            batch.add(rows.next());
          }
          if (batch.isEmpty()) {
            finished = true;
            done.run();
            return false;
          }
          out = score.apply(batch);
          next = 0;
        }
        return true;
      }

      @Override
      public Row next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        return out.get(next++);
      }
    };
  }

  /**
   * The booster's predictions for the batch's rows, using trees {@code [0, iterationEnd)} (all of
   * them when it is 0).
   */
  static float[][] predict(Booster model, List<Row> batch, int[] featureIndexes, int iterationEnd) {
    int[] range = iterationEnd > 0 ? new int[] {0, iterationEnd} : new int[] {0, 0};
    try {
      return model.inplace_predict(
          matrix(batch, featureIndexes), batch.size(), featureIndexes.length, Float.NaN, range);
    } catch (XGBoostError e) {
      throw new IllegalStateException("Cannot score rows: " + e.getMessage(), e);
    }
  }

  /** The batch's features, row-major, null as NaN (XGBoost's missing). */
  static float[] matrix(List<Row> batch, int[] featureIndexes) {
    int ncol = featureIndexes.length;
    float[] values = new float[batch.size() * ncol];
    for (int r = 0; r < batch.size(); r++) {
      Row row = batch.get(r);
      for (int c = 0; c < ncol; c++) {
        int i = featureIndexes[c];
        values[r * ncol + c] = row.isNullAt(i) ? Float.NaN : ((Number) row.get(i)).floatValue();
      }
    }
    return values;
  }

  /** {@code row} with {@code extra} cells appended. */
  static Row append(Row row, Object... extra) {
    Object[] cells = new Object[row.length() + extra.length];
    for (int c = 0; c < row.length(); c++) {
      cells[c] = row.get(c);
    }
    System.arraycopy(extra, 0, cells, row.length(), extra.length);
    return RowFactory.create(cells);
  }
}

package dev.plumb.training;

import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.pmod;
import static org.apache.spark.sql.functions.when;
import static org.apache.spark.sql.functions.xxhash64;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.plumb.testing.SharedSpark;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import ml.dmlc.xgboost4j.java.Booster;
import ml.dmlc.xgboost4j.java.DMatrix;
import ml.dmlc.xgboost4j.java.XGBoost;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A null feature value means "missing" in training exactly as it does when scoring: the rows where
 * the label is carried by the null must be told apart from the rows where the value is a real 0.
 */
@ExtendWith(SharedSpark.class)
class NullsAreMissingTest {

  static final List<String> FEATURES = List.of("x1", "x2");

  /**
   * x1 is null on ~15% of rows (label 1 there, always), exactly 0.0 on ~40% (label 0 there,
   * always), else uniform in (0, 1) with P(label = 1) = x1 / 2; x2 is noise with its own nulls.
   */
  static Dataset<Row> data(SparkSession spark, long rows, long seed) {
    Column h = pmod(xxhash64(lit(seed), col("id")), lit(1000)).cast("double").divide(1000);
    Column u = pmod(xxhash64(lit(seed + 1), col("id")), lit(997)).cast("double").divide(997);
    Column n = pmod(xxhash64(lit(seed + 2), col("id")), lit(1000)).cast("double").divide(1000);
    return spark
        .range(rows)
        .toDF()
        .withColumn("kind", when(h.lt(0.15), "null").when(h.lt(0.55), "zero").otherwise("value"))
        .withColumn(
            "x1",
            when(col("kind").equalTo("null"), lit(null).cast("double"))
                .when(col("kind").equalTo("zero"), lit(0.0))
                .otherwise(u.multiply(0.98).plus(0.01)))
        .withColumn("x2", when(n.lt(0.1), lit(null).cast("double")).otherwise(n))
        .withColumn(
            "label",
            when(col("kind").equalTo("null"), 1.0)
                .when(col("kind").equalTo("zero"), 0.0)
                .when(n.lt(col("x1").divide(2)), 1.0)
                .otherwise(0.0));
  }

  @Test
  void plumbsScoresSeparateNullFromZeroAndMatchXGBoostTrainedOnNaN(SparkSession spark)
      throws Exception {
    Dataset<Row> train = data(spark, 6000, 1).cache();
    Dataset<Row> validation = data(spark, 2000, 2).cache();
    Dataset<Row> test = data(spark, 4000, 3).cache();
    TrainingSpec spec =
        new TrainingSpec("binary:logistic", "logloss", 40, 3, 0.3, 1, 1, 0, 7L, "cpu");

    TrainedModel model = XGBoostTrainer.train(train, validation, spec, "label", FEATURES);
    Dataset<Row> scored =
        ModelFiles.score(model.booster(), FEATURES, test, model.iterationEnd()).cache();

    double onNull = meanScore(scored, "null");
    double onZero = meanScore(scored, "zero");
    // Trained as if null were 0, both kinds land in one leaf with ~0.27 (15 / 55).
    assertThat(onNull).isGreaterThan(0.95);
    assertThat(onZero).isLessThan(0.05);

    // The same rows, trained directly by XGBoost on a DMatrix with NaN for null.
    Map<String, Object> params = new HashMap<>();
    params.put("objective", "binary:logistic");
    params.put("eval_metric", "logloss");
    params.put("max_depth", 3);
    params.put("eta", 0.3);
    params.put("tree_method", "hist");
    params.put("seed", 7);
    params.put("nthread", 1);
    Booster direct = XGBoost.train(matrix(train), params, 40, new HashMap<>(), null, null);
    List<Row> testRows = test.select("x1", "x2", "label").collectAsList();
    float[][] predictions = direct.predict(matrix(test));
    double[] directScores = new double[predictions.length];
    double[] labels = new double[predictions.length];
    for (int i = 0; i < predictions.length; i++) {
      directScores[i] = predictions[i][0];
      labels[i] = testRows.get(i).getDouble(2);
    }
    List<Row> plumbRows = scored.select("label", ModelFiles.SCORE).collectAsList();
    double[] plumbScores = new double[plumbRows.size()];
    double[] plumbLabels = new double[plumbRows.size()];
    for (int i = 0; i < plumbRows.size(); i++) {
      plumbLabels[i] = plumbRows.get(i).getDouble(0);
      plumbScores[i] = plumbRows.get(i).getDouble(1);
    }
    double directAuc = rocAuc(labels, directScores);
    double plumbAuc = rocAuc(plumbLabels, plumbScores);
    assertThat(directAuc).isGreaterThan(0.9);
    assertThat(plumbAuc).isCloseTo(directAuc, within(0.002));
    direct.dispose();
  }

  @Test
  void trainingColumnsTurnNullIntoNaNAndKeepValues(SparkSession spark) {
    Dataset<Row> rows =
        spark.sql("SELECT 1.0 AS label, CAST(NULL AS INT) AS a, 0 AS b UNION ALL SELECT 0.0, 5, 2");
    List<Row> out =
        rows.select(XGBoostTrainer.trainingColumns("label", List.of("a", "b")))
            .orderBy(col("label"))
            .collectAsList();
    assertThat(out.get(0).getDouble(1)).isEqualTo(5.0);
    assertThat(out.get(0).getDouble(2)).isEqualTo(2.0);
    assertThat(out.get(1).getDouble(1)).isNaN();
    assertThat(out.get(1).getDouble(2)).isEqualTo(0.0);
  }

  private static double meanScore(Dataset<Row> scored, String kind) {
    return scored
        .filter(col("kind").equalTo(kind))
        .agg(avg(col(ModelFiles.SCORE)))
        .first()
        .getDouble(0);
  }

  /** Rows in id order as a dense DMatrix with NaN for null. */
  private static DMatrix matrix(Dataset<Row> rows) throws Exception {
    List<Row> list = rows.orderBy("id").select("x1", "x2", "label").collectAsList();
    float[] values = new float[list.size() * 2];
    float[] labels = new float[list.size()];
    for (int r = 0; r < list.size(); r++) {
      for (int c = 0; c < 2; c++) {
        values[r * 2 + c] = list.get(r).isNullAt(c) ? Float.NaN : (float) list.get(r).getDouble(c);
      }
      labels[r] = (float) list.get(r).getDouble(2);
    }
    DMatrix m = new DMatrix(values, list.size(), 2, Float.NaN);
    m.setLabel(labels);
    return m;
  }

  /** ROC-AUC as the Mann-Whitney statistic, ties counted half (the textbook definition). */
  static double rocAuc(double[] labels, double[] scores) {
    Integer[] order = new Integer[scores.length];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (a, b) -> Double.compare(scores[a], scores[b]));
    double rankSumPositives = 0;
    long positives = 0;
    int i = 0;
    while (i < order.length) {
      int j = i;
      while (j + 1 < order.length && scores[order[j + 1]] == scores[order[i]]) {
        j++;
      }
      double midRank = (i + j) / 2.0 + 1;
      for (int k = i; k <= j; k++) {
        if (labels[order[k]] == 1.0) {
          rankSumPositives += midRank;
          positives++;
        }
      }
      i = j + 1;
    }
    long negatives = scores.length - positives;
    return (rankSumPositives - positives * (positives + 1) / 2.0)
        / ((double) positives * negatives);
  }
}

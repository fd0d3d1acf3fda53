package dev.plumb.bench;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.exp;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.pmod;
import static org.apache.spark.sql.functions.when;
import static org.apache.spark.sql.functions.xxhash64;
import static org.assertj.core.api.Assertions.assertThat;

import dev.plumb.testing.SharedSpark;
import dev.plumb.training.TrainedModel;
import dev.plumb.training.TrainingSpec;
import dev.plumb.training.XGBoostTrainer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import ml.dmlc.xgboost4j.java.Booster;
import ml.dmlc.xgboost4j.java.DMatrix;
import ml.dmlc.xgboost4j.java.XGBoost;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Plumb's trainer (XGBoost4J-Spark, {@code num_workers} = the local cores) against plain xgboost4j
 * (one DMatrix built from float arrays, {@code nthread} = the same cores) on the same rows with the
 * same parameters (hist, depth 6, eta 0.1, 100 rounds, 28 numeric features), in the same JVM,
 * interleaved. Reports the fit-time ratio, plain xgboost4j's data-conversion time and both ROC-AUCs
 * on the same held-out rows. Rows: {@code -Dplumb.bench.rows=1000000} (default 1M).
 *
 * <p>Run: {@code ./mvnw -B -o verify -pl tests -Dplumb.groups=benchmark -Dplumb.excludedGroups=
 * -Dtest=TrainingBenchmark -Dsurefire.failIfNoSpecifiedTests=false -Dit.test=None
 * -Dfailsafe.failIfNoSpecifiedTests=false}
 */
@Tag("benchmark")
@ExtendWith(SharedSpark.class)
class TrainingBenchmark {

  static final int FEATURES = 28;
  static final int ROUNDS = 100;

  static List<String> featureNames() {
    List<String> names = new ArrayList<>();
    for (int i = 0; i < FEATURES; i++) {
      names.add("f" + i);
    }
    return names;
  }

  /** 28 uniform features from a seeded hash of the id; the label is logistic in 8 of them. */
  static Dataset<Row> rows(SparkSession spark, long n, long seed) {
    Dataset<Row> d = spark.range(n).toDF();
    Column logit = lit(-1.0);
    for (int i = 0; i < FEATURES; i++) {
      Column u = pmod(xxhash64(lit(seed * 100 + i), col("id")), lit(1_000_003)).divide(1_000_003.0);
      d = d.withColumn("f" + i, u);
      if (i < 8) {
        logit = logit.plus(col("f" + i).multiply((i % 2 == 0 ? 1.0 : -1.0) * (1.0 + i * 0.25)));
      }
    }
    Column noise =
        pmod(xxhash64(lit(seed * 100 + 99), col("id")), lit(1_000_003)).divide(1_000_003.0);
    Column p = lit(1.0).divide(lit(1.0).plus(exp(logit.multiply(-2.0))));
    return d.withColumn("label", when(noise.lt(p), 1.0).otherwise(0.0)).drop("id");
  }

  /** Spark rows to a dense row-major float matrix plus labels: plain xgboost4j's input. */
  record Matrix(float[] values, float[] labels, int rows) {

    /** Streams the rows to the driver (never all Row objects at once) into float arrays. */
    static Matrix of(Dataset<Row> data, int rows) {
      float[] values = new float[rows * FEATURES];
      float[] labels = new float[rows];
      java.util.Iterator<Row> it = data.toLocalIterator();
      int r = 0;
      while (it.hasNext()) {
        Row row = it.next();
        for (int c = 0; c < FEATURES; c++) {
          values[r * FEATURES + c] = (float) row.getDouble(c);
        }
        labels[r] = (float) row.getDouble(FEATURES);
        r++;
      }
      assertThat(r).isEqualTo(rows);
      return new Matrix(values, labels, rows);
    }

    DMatrix dmatrix() throws Exception {
      DMatrix m = new DMatrix(values, rows, FEATURES, Float.NaN);
      m.setLabel(labels);
      return m;
    }
  }

  static double auc(float[] scores, float[] labels) {
    Integer[] order = new Integer[scores.length];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (a, b) -> Float.compare(scores[a], scores[b]));
    double rankSum = 0;
    long positives = 0;
    int i = 0;
    while (i < order.length) {
      int j = i;
      while (j + 1 < order.length && scores[order[j + 1]] == scores[order[i]]) {
        j++;
      }
      double rank = (i + j) / 2.0 + 1; // average rank of ties
      for (int k = i; k <= j; k++) {
        if (labels[order[k]] == 1f) {
          rankSum += rank;
          positives++;
        }
      }
      i = j + 1;
    }
    long negatives = scores.length - positives;
    return (rankSum - positives * (positives + 1) / 2.0) / ((double) positives * negatives);
  }

  static double seconds(long start) {
    return (System.nanoTime() - start) / 1e9;
  }

  @Test
  void plumbTrainerVersusPlainXgboost4j(SparkSession spark) throws Exception {
    int n = Integer.getInteger("plumb.bench.rows", 1_000_000);
    int repeats = Integer.getInteger("plumb.bench.repeats", 3);
    int cores = spark.sparkContext().defaultParallelism();
    Dataset<Row> train = rows(spark, n, 1).repartition(cores).cache();
    Dataset<Row> test = rows(spark, 200_000, 2).cache();
    assertThat(train.count()).isEqualTo(n);
    assertThat(test.count()).isEqualTo(200_000);
    Matrix testMatrix = Matrix.of(test, 200_000);
    DMatrix dtest = testMatrix.dmatrix();

    TrainingSpec spec =
        new TrainingSpec("binary:logistic", "logloss", ROUNDS, 6, 0.1, cores, 1, 0, 42L, "cpu");
    Map<String, Object> params = new HashMap<>();
    params.put("objective", "binary:logistic");
    params.put("eval_metric", "logloss");
    params.put("max_depth", 6);
    params.put("eta", 0.1);
    params.put("tree_method", "hist");
    params.put("nthread", cores);
    params.put("seed", 42);
    params.put("verbosity", 0);

    List<String> lines = new ArrayList<>();
    double plumbFit = Double.MAX_VALUE;
    double plainFit = Double.MAX_VALUE;
    double conversion = Double.MAX_VALUE;
    double plumbAuc = 0;
    double plainAuc = 0;
    for (int rep = 0; rep < repeats; rep++) {
      // Interleaved, and the order flips every repeat so neither side always runs on a
      // warmer (or busier) machine.
      TrainedModel model = null;
      double plumbSeconds = 0;
      if (rep % 2 == 1) {
        long t2 = System.nanoTime();
        model = XGBoostTrainer.train(train, test, spec, "label", featureNames());
        plumbSeconds = seconds(t2);
      }
      // Plain xgboost4j: rows -> float[] -> DMatrix (conversion), then train with the same
      // watches as Plumb (train + held-out), 100 rounds.
      long t0 = System.nanoTime();
      Matrix m = Matrix.of(train, n);
      DMatrix dtrain = m.dmatrix();
      double conv = seconds(t0);
      Map<String, DMatrix> watches = new HashMap<>();
      watches.put("train", dtrain);
      watches.put("eval", dtest);
      long t1 = System.nanoTime();
      Booster plain = XGBoost.train(dtrain, params, ROUNDS, watches, null, null);
      double plainSeconds = seconds(t1);
      plainAuc = auc(column(plain.predict(dtest)), testMatrix.labels());
      plain.dispose();
      dtrain.dispose();

      m = null;
      // Plumb: the train stage's trainer on the cached DataFrame, num_workers = cores.
      if (rep % 2 == 0) {
        long t2 = System.nanoTime();
        model = XGBoostTrainer.train(train, test, spec, "label", featureNames());
        plumbSeconds = seconds(t2);
      }
      Booster plumb = XGBoost.loadModel(model.booster());
      plumbAuc = auc(column(plumb.predict(dtest)), testMatrix.labels());
      plumb.dispose();

      lines.add(
          String.format(
              Locale.ROOT,
              "rep %d (%s first): plumb fit %.1f s | plain conversion %.1f s + train %.1f s | ratio"
                  + " plumb/plain-train %.2f, plumb/(conversion+train) %.2f | AUC plumb %.4f"
                  + " plain %.4f",
              rep,
              rep % 2 == 0 ? "plain" : "plumb",
              plumbSeconds,
              conv,
              plainSeconds,
              plumbSeconds / plainSeconds,
              plumbSeconds / (conv + plainSeconds),
              plumbAuc,
              plainAuc));
      plumbFit = Math.min(plumbFit, plumbSeconds);
      plainFit = Math.min(plainFit, plainSeconds);
      conversion = Math.min(conversion, conv);
    }
    dtest.dispose();
    System.out.printf(
        Locale.ROOT,
        "%nTrainingBenchmark: %,d rows x %d features, %d rounds, hist depth 6, %d cores%n",
        n,
        FEATURES,
        ROUNDS,
        cores);
    lines.forEach(System.out::println);
    System.out.printf(
        Locale.ROOT,
        "best of %d: plumb fit %.1f s, plain train %.1f s (conversion %.1f s); fit-time ratio"
            + " %.2f; AUC plumb %.4f plain %.4f (diff %.4f)%n",
        repeats,
        plumbFit,
        plainFit,
        conversion,
        plumbFit / plainFit,
        plumbAuc,
        plainAuc,
        Math.abs(plumbAuc - plainAuc));
    // Both learn the planted signal; performance is reported, not asserted.
    assertThat(plumbAuc).isGreaterThan(0.7);
    assertThat(plainAuc).isGreaterThan(0.7);
    train.unpersist();
    test.unpersist();
  }

  static float[] column(float[][] predictions) {
    float[] out = new float[predictions.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = predictions[i][0];
    }
    return out;
  }
}

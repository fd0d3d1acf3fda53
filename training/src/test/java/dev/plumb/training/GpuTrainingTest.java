package dev.plumb.training;

import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.plumb.testing.SharedSpark;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The GPU path of training: the same rows trained with {@code device=cuda} and with {@code
 * device=cpu} give the same test ROC-AUC (within 0.005), and the times of both are printed. Runs in
 * every {@code ./mvnw verify} and is reported as skipped where it cannot run: no GPU ({@code
 * nvidia-smi -L} lists none), or the CPU build of XGBoost4J-Spark on the classpath (build with
 * {@code -Pgpu}, which puts {@code xgboost4j-spark-gpu} there instead). On a machine with a GPU,
 * {@code ./mvnw -B -Pgpu verify -pl features,training -Dtest=GpuTrainingTest} proves the path.
 */
@Tag("gpu")
@ExtendWith(SharedSpark.class)
class GpuTrainingTest {

  static boolean gpuPresent() {
    try {
      Process p = new ProcessBuilder("nvidia-smi", "-L").redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0 && out.contains("GPU ");
    } catch (Exception e) {
      return false;
    }
  }

  /** ROC-AUC of (score, label) pairs by the rank-sum formula, ties as half. */
  static double auc(List<double[]> scored) {
    List<double[]> s = new ArrayList<>(scored);
    s.sort((a, b) -> Double.compare(a[0], b[0]));
    double rankSumPositives = 0;
    long positives = 0;
    int i = 0;
    while (i < s.size()) {
      int j = i;
      while (j < s.size() && s.get(j)[0] == s.get(i)[0]) {
        j++;
      }
      double midRank = (i + 1 + j) / 2.0;
      for (int k = i; k < j; k++) {
        if (s.get(k)[1] > 0.5) {
          rankSumPositives += midRank;
          positives++;
        }
      }
      i = j;
    }
    long negatives = s.size() - positives;
    return (rankSumPositives - positives * (positives + 1) / 2.0)
        / ((double) positives * negatives);
  }

  @Test
  void cudaTrainsToTheSameAucAsTheCpu(SparkSession spark) {
    assumeTrue(gpuPresent(), "no GPU on this machine (nvidia-smi -L lists none)");
    XGBoostBuild build = XGBoostBuild.current();
    assumeTrue(
        build.gpu(),
        "the CPU build of XGBoost4J-Spark is on the classpath ("
            + build.location()
            + "): run with -Pgpu");
    List<String> features = new ArrayList<>();
    StringBuilder select = new StringBuilder("SELECT id");
    for (int f = 0; f < 10; f++) {
      features.add("f" + f);
      select.append(", rand(").append(100 + f).append(") AS f").append(f);
    }
    Dataset<Row> all =
        spark
            .sql(select + " FROM range(300000)")
            .withColumn(
                "label",
                col("f0")
                    .multiply(2)
                    .plus(col("f1"))
                    .minus(col("f2").multiply(col("f3")))
                    .gt(1.2)
                    .cast("double"))
            .cache();
    Dataset<Row> train = all.filter(col("id").mod(10).lt(7));
    Dataset<Row> validation = all.filter(col("id").mod(10).equalTo(7));
    Dataset<Row> test = all.filter(col("id").mod(10).gt(7));
    double[] aucs = new double[2];
    double[] seconds = new double[2];
    String[] devices = {"cpu", "cuda"};
    for (int d = 0; d < 2; d++) {
      TrainingSpec spec =
          new TrainingSpec("binary:logistic", "logloss", 100, 6, 0.3, 1, 2, 10, 7L, devices[d]);
      long t = System.nanoTime();
      TrainedModel model = XGBoostTrainer.train(train, validation, spec, "label", features);
      seconds[d] = (System.nanoTime() - t) / 1e9;
      List<double[]> scored = new ArrayList<>();
      ModelFiles.score(model.booster(), features, test, model.iterationEnd())
          .select(ModelFiles.SCORE, "label")
          .collectAsList()
          .forEach(r -> scored.add(new double[] {r.getDouble(0), r.getDouble(1)}));
      aucs[d] = auc(scored);
    }
    System.out.printf(
        "GPU training: AUC cpu %.5f cuda %.5f; seconds cpu %.2f cuda %.2f (cuda/cpu %.2f); %s%n",
        aucs[0], aucs[1], seconds[0], seconds[1], seconds[1] / seconds[0], build.describe());
    assertThat(aucs[0]).isGreaterThan(0.9);
    assertThat(aucs[1]).isCloseTo(aucs[0], org.assertj.core.data.Offset.offset(0.005));
  }
}

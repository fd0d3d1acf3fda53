package dev.plumb.it;

import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plumb.testing.SharedSpark;
import dev.plumb.training.ModelFiles;
import dev.plumb.training.TrainedModel;
import dev.plumb.training.TrainingSpec;
import dev.plumb.training.XGBoostTrainer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Python XGBoost, loading Plumb's {@code model.ubj} and reading a null as NaN, scores the rows
 * exactly as Plumb's evaluation does: "missing" means the same on both sides.
 */
@ExtendWith(SharedSpark.class)
class NullsMatchPythonXGBoostIT {

  @TempDir Path tmp;

  /** f is null where the label is 1 and exactly 0 on a third of the rest; g is noise. */
  private static Dataset<Row> rows(SparkSession spark, long n, long seed) {
    return spark.sql(
        "SELECT id, CASE WHEN r < 0.2 THEN NULL WHEN r < 0.45 THEN 0.0 ELSE r END AS f,"
            + " CASE WHEN s < 0.1 THEN NULL ELSE s END AS g,"
            + " CASE WHEN r < 0.2 THEN 1.0 WHEN r >= 0.45 AND s < r - 0.3 THEN 1.0 ELSE 0.0 END"
            + " AS label FROM (SELECT id, rand("
            + seed
            + ") AS r, rand("
            + (seed + 100)
            + ") AS s FROM range("
            + n
            + "))");
  }

  @Test
  void pythonXGBoostReadingNullAsNaNScoresAsPlumbDoes(SparkSession spark) throws Exception {
    List<String> features = List.of("f", "g");
    Dataset<Row> train = rows(spark, 5000, 11).cache();
    Dataset<Row> validation = rows(spark, 1000, 12).cache();
    Dataset<Row> test = rows(spark, 2000, 13).cache();
    TrainingSpec spec =
        new TrainingSpec("binary:logistic", "logloss", 30, 3, 0.3, 1, 1, 0, 3L, "cpu");
    TrainedModel model = XGBoostTrainer.train(train, validation, spec, "label", features);
    List<Row> plumb =
        ModelFiles.score(model.booster(), features, test, model.iterationEnd())
            .orderBy(col("id"))
            .select("id", "f", "g", ModelFiles.SCORE)
            .collectAsList();

    Path ubj = tmp.resolve("model.ubj");
    Files.write(ubj, model.booster());
    StringBuilder csv = new StringBuilder();
    for (Row r : plumb) {
      csv.append(r.isNullAt(1) ? "" : Double.toString(r.getDouble(1)))
          .append(',')
          .append(r.isNullAt(2) ? "" : Double.toString(r.getDouble(2)))
          .append('\n');
    }
    Path rowsCsv = tmp.resolve("rows.csv");
    Files.writeString(rowsCsv, csv);
    Path script = tmp.resolve("score.py");
    Files.writeString(
        script,
        String.join(
            "\n",
            "import json, sys",
            "import numpy as np, xgboost as xgb",
            "booster = xgb.Booster()",
            "booster.load_model(sys.argv[1])",
            "x = np.genfromtxt(sys.argv[2], delimiter=',', missing_values='',"
                + " filling_values=np.nan, dtype=np.float64).reshape(-1, 2)",
            "m = xgb.DMatrix(x, missing=np.nan, feature_names=['f', 'g'])",
            "p = booster.predict(m, iteration_range=(0, int(sys.argv[3])))",
            "print(json.dumps([float(v) for v in p]))",
            ""));
    Process p =
        new ProcessBuilder(
                MlflowServer.python().toString(),
                script.toString(),
                ubj.toString(),
                rowsCsv.toString(),
                String.valueOf(model.iterationEnd()))
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).isZero();
    JsonNode python = new ObjectMapper().readTree(out.substring(out.lastIndexOf('\n') + 1));

    assertThat(python.size()).isEqualTo(plumb.size());
    double nullMean = 0;
    double zeroMean = 0;
    int nulls = 0;
    int zeros = 0;
    for (int i = 0; i < plumb.size(); i++) {
      Row r = plumb.get(i);
      double score = r.getDouble(3);
      assertThat(python.get(i).asDouble()).as("row " + i).isCloseTo(score, Offset.offset(1e-6));
      if (r.isNullAt(1)) {
        nullMean += score;
        nulls++;
      } else if (r.getDouble(1) == 0.0) {
        zeroMean += score;
        zeros++;
      }
    }
    assertThat(nulls).isGreaterThan(200);
    assertThat(zeros).isGreaterThan(200);
    // The null rows (all positive) and the 0 rows (all negative) are told apart.
    assertThat(nullMean / nulls).isGreaterThan(0.95);
    assertThat(zeroMean / zeros).isLessThan(0.05);
  }
}

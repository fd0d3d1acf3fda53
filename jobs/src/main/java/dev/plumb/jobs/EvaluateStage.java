package dev.plumb.jobs;

import static org.apache.spark.sql.functions.col;

import dev.plumb.evaluation.BinaryMetrics;
import dev.plumb.features.Splits;
import dev.plumb.training.ModelFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;

/**
 * Evaluate: scores the feature set's test split once (cached) and computes ROC-AUC, PR-AUC, log
 * loss and accuracy over it. Writes {@code evaluation.json} beside the model.
 */
final class EvaluateStage {

  static final String REPORT = "evaluation.json";

  /** What evaluation measured. */
  record Result(BinaryMetrics.Result metrics, Path report) {}

  private EvaluateStage() {}

  @SuppressWarnings("unchecked")
  static Result run(SparkSession spark, PlumbConfig config, RunTracker tracker) {
    Path modelDir = TrainStage.resolve(config, config.string("evaluate.model"));
    Map<String, Object> meta =
        JsonFiles.read(modelDir.resolve(TrainStage.MODEL_META), "the model metadata", "train");
    List<String> featureNames = (List<String>) meta.get("feature_names");
    String label = String.valueOf(meta.get("label"));
    Path featureDir =
        FeaturesStage.resolve(config, String.valueOf(meta.get("feature_set_version")));
    byte[] booster;
    try {
      booster = Files.readAllBytes(modelDir.resolve(TrainStage.MODEL_FILE));
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read the model file in " + modelDir, e);
    }
    Dataset<Row> test =
        spark
            .read()
            .format("delta")
            .load(featureDir.resolve(FeaturesStage.DATA).toString())
            .filter(col(Splits.COLUMN).equalTo(Splits.TEST));
    Dataset<Row> predictions =
        ModelFiles.score(
                booster, featureNames, test, ((Number) meta.get("best_iteration")).intValue() + 1)
            .select(col(label), col(ModelFiles.SCORE))
            .persist(StorageLevel.MEMORY_AND_DISK());
    try {
      BinaryMetrics.Result metrics =
          BinaryMetrics.compute(
              predictions, label, ModelFiles.SCORE, config.number("evaluate.threshold"));
      Map<String, Object> report = new LinkedHashMap<>();
      report.put("model", modelDir.toString());
      report.put("feature_set_version", meta.get("feature_set_version"));
      report.put("split", Splits.TEST);
      report.put("threshold", metrics.threshold());
      report.put("metrics", metrics.asMap());
      Path reportPath = modelDir.resolve(REPORT);
      JsonFiles.write(reportPath, report);
      Log.info(
          String.format(
              "evaluate: test rows %,d, ROC-AUC %.4f, PR-AUC %.4f, log loss %.4f",
              metrics.count(), metrics.rocAuc(), metrics.prAuc(), metrics.logLoss()));
      return new Result(metrics, reportPath);
    } finally {
      predictions.unpersist();
    }
  }
}

package dev.plumb.training;

import static org.apache.spark.sql.functions.col;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import ml.dmlc.xgboost4j.scala.spark.XGBoostClassificationModel;
import ml.dmlc.xgboost4j.scala.spark.XGBoostClassifier;
import ml.dmlc.xgboost4j.scala.spark.XGBoostTrainingSummary;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import scala.Tuple2;

/** Trains XGBoost4J-Spark on feature columns; one code path for CPU and GPU. */
public final class XGBoostTrainer {

  private XGBoostTrainer() {}

  /**
   * Trains on {@code train}, early-stopping on {@code validation}.
   *
   * @param labelColumn the label column (double 0/1)
   * @param featureNames the feature columns (double), in model order
   */
  public static TrainedModel train(
      Dataset<Row> train,
      Dataset<Row> validation,
      TrainingSpec spec,
      String labelColumn,
      List<String> featureNames) {
    XGBoostClassifier classifier = new XGBoostClassifier();
    // XGBoost's setters return the generic Params type: one statement each.
    classifier.setFeaturesCol(featureNames.toArray(new String[0]));
    classifier.setLabelCol(labelColumn);
    classifier.setObjective(spec.objective());
    classifier.setEvalMetric(spec.evalMetric());
    classifier.setNumRound(spec.numRound());
    classifier.setMaxDepth(spec.maxDepth());
    classifier.setEta(spec.eta());
    classifier.setNumWorkers(spec.numWorkers());
    classifier.setNthread(spec.nthread());
    classifier.setSeed(spec.seed());
    classifier.setTreeMethod("hist");
    classifier.setDevice(spec.device().equals("auto") ? "cpu" : spec.device());
    classifier.setMissing(Float.NaN);
    // Per-round metrics come back in the summary (and go to MLflow); keep the console quiet.
    classifier.setVerbosity(0);
    classifier.setFeatureNames(featureNames.toArray(new String[0]));
    if (spec.earlyStoppingRounds() > 0) {
      classifier.setNumEarlyStoppingRounds(spec.earlyStoppingRounds());
    }
    Column[] needed = new Column[featureNames.size() + 1];
    needed[0] = col(labelColumn);
    for (int i = 0; i < featureNames.size(); i++) {
      needed[i + 1] = col(featureNames.get(i));
    }
    classifier.setEvalDataset(validation.select(needed));
    XGBoostClassificationModel model = classifier.fit(train.select(needed));

    Map<String, float[]> history = new LinkedHashMap<>();
    int rounds = (int) model.nativeBooster().getNumBoostedRound();
    if (model.summary().isDefined()) {
      XGBoostTrainingSummary summary = model.summary().get();
      // The summary's arrays have num_round slots; rounds after an early stop are padding.
      history.put(
          "train-" + spec.evalMetric(), Arrays.copyOf(summary.trainObjectiveHistory(), rounds));
      scala.collection.Iterator<Tuple2<String, float[]>> it =
          summary.validationObjectiveHistory().iterator();
      while (it.hasNext()) {
        Tuple2<String, float[]> entry = it.next();
        history.put("validation-" + spec.evalMetric(), Arrays.copyOf(entry._2(), rounds));
      }
    }
    int best = rounds - 1;
    float[] validationHistory = history.get("validation-" + spec.evalMetric());
    if (validationHistory != null && validationHistory.length > 0) {
      best = bestRound(validationHistory, higherIsBetter(spec.evalMetric()));
    }
    return new TrainedModel(
        ModelFiles.toUbj(model.nativeBooster()), featureNames, best, rounds, history);
  }

  static boolean higherIsBetter(String metric) {
    return metric.startsWith("auc") || metric.startsWith("map") || metric.startsWith("ndcg");
  }

  static int bestRound(float[] history, boolean higherIsBetter) {
    int best = 0;
    for (int i = 1; i < history.length; i++) {
      if (higherIsBetter ? history[i] > history[best] : history[i] < history[best]) {
        best = i;
      }
    }
    return best;
  }
}

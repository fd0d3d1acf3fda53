package dev.plumb.training;

import static org.apache.spark.sql.functions.col;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import ml.dmlc.xgboost4j.java.XGBoostError;
import ml.dmlc.xgboost4j.scala.Booster;
import ml.dmlc.xgboost4j.scala.spark.XGBoostClassificationModel;
import ml.dmlc.xgboost4j.scala.spark.XGBoostClassifier;
import ml.dmlc.xgboost4j.scala.spark.XGBoostTrainingSummary;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructType;
import scala.Tuple2;

/** Trains XGBoost4J-Spark on feature columns; one code path for CPU and GPU. */
public final class XGBoostTrainer {

  private XGBoostTrainer() {}

  /**
   * Checks that {@code schema} has the label and every feature as numeric columns, before any Spark
   * job runs.
   */
  public static void checkSchema(StructType schema, String labelColumn, List<String> featureNames) {
    List<String> columns = Arrays.asList(schema.fieldNames());
    for (String c : concat(labelColumn, featureNames)) {
      if (!columns.contains(c)) {
        throw new IllegalArgumentException(
            "Cannot train: column '" + c + "' is missing (columns: " + columns + ")");
      }
      DataType t = schema.apply(c).dataType();
      if (!(t instanceof NumericType)) {
        throw new IllegalArgumentException(
            "Cannot train: column '" + c + "' must be numeric but was " + t.simpleString());
      }
    }
  }

  /**
   * Trains on {@code train}, early-stopping on {@code validation}.
   *
   * @param spec a spec resolved by {@link Preflight#check}
   * @param labelColumn the label column (0/1)
   * @param featureNames the feature columns (numeric), in model order
   */
  public static TrainedModel train(
      Dataset<Row> train,
      Dataset<Row> validation,
      TrainingSpec spec,
      String labelColumn,
      List<String> featureNames) {
    if (!spec.isResolved()) {
      throw spec.numWorkers() < 1
          ? TrainingErrors.unresolved("num_workers", "0 (auto)")
          : spec.nthread() < 1
              ? TrainingErrors.unresolved("nthread", "0 (auto)")
              : TrainingErrors.unresolved("device", spec.device());
    }
    checkSchema(train.schema(), labelColumn, featureNames);
    checkSchema(validation.schema(), labelColumn, featureNames);
    Column[] needed =
        concat(labelColumn, featureNames).stream().map(c -> col(c)).toArray(Column[]::new);
    Dataset<Row> trainRows = train.select(needed);

    double scalePosWeight = spec.scalePosWeight().value();
    if (spec.scalePosWeight().auto()) {
      long positives = trainRows.filter(col(labelColumn).equalTo(1)).count();
      long negatives = trainRows.filter(col(labelColumn).equalTo(0)).count();
      scalePosWeight = spec.scalePosWeight().resolve(negatives, positives);
    }

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
    classifier.setDevice(spec.device());
    classifier.setScalePosWeight(scalePosWeight);
    classifier.setMissing(Float.NaN);
    // Bounds the wait for all workers to reach the tracker, e.g. when an executor is lost while
    // the barrier stage starts.
    classifier.setRabitTrackerTimeout(spec.trackerTimeoutSeconds());
    // Per-round metrics come back in the summary (and go to MLflow); keep the console quiet.
    classifier.setVerbosity(0);
    classifier.setFeatureNames(featureNames.toArray(new String[0]));
    if (spec.earlyStoppingRounds() > 0) {
      classifier.setNumEarlyStoppingRounds(spec.earlyStoppingRounds());
    }
    classifier.setEvalDataset(validation.select(needed));
    XGBoostClassificationModel model = classifier.fit(trainRows);

    Booster booster = model.nativeBooster();
    Map<String, float[]> history = new LinkedHashMap<>();
    int rounds = roundsOf(booster);
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
    try {
      // Stored in the file, so the booster alone says which trees to use (XGBoost's own name).
      booster.setAttr(ModelFiles.BEST_ITERATION, String.valueOf(best));
      booster.booster().setFeatureNames(featureNames.toArray(new String[0]));
    } catch (XGBoostError e) {
      throw new IllegalStateException("Cannot annotate the booster: " + e.getMessage(), e);
    }
    Map<String, Object> params = new LinkedHashMap<>(spec.xgboostParams());
    params.put("scale_pos_weight", scalePosWeight);
    return new TrainedModel(ModelFiles.toUbj(booster), featureNames, best, rounds, history, params);
  }

  private static int roundsOf(Booster booster) {
    try {
      return booster.booster().getNumBoostedRound();
    } catch (XGBoostError e) {
      throw new IllegalStateException("Cannot read the booster's rounds: " + e.getMessage(), e);
    }
  }

  private static List<String> concat(String first, List<String> rest) {
    List<String> all = new java.util.ArrayList<>(rest.size() + 1);
    all.add(first);
    all.addAll(rest);
    return all;
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

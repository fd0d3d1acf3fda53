package dev.plumb.training;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import dev.plumb.features.io.Log;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import ml.dmlc.xgboost4j.java.XGBoostError;
import ml.dmlc.xgboost4j.scala.Booster;
import ml.dmlc.xgboost4j.scala.spark.XGBoostClassifier;
import ml.dmlc.xgboost4j.scala.spark.XGBoostEstimator;
import ml.dmlc.xgboost4j.scala.spark.XGBoostModel;
import ml.dmlc.xgboost4j.scala.spark.XGBoostRegressor;
import ml.dmlc.xgboost4j.scala.spark.XGBoostTrainingSummary;
import org.apache.spark.ml.Predictor;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructType;
import scala.Tuple2;

/**
 * Trains XGBoost4J-Spark on feature columns; one code path for CPU and GPU, and for binary,
 * multiclass ({@code multi:softprob}, classes 0..k-1) and regression objectives.
 */
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
    Column[] needed = trainingColumns(labelColumn, featureNames);
    Dataset<Row> trainRows = spreadOverWorkers(train.select(needed), spec.numWorkers(), "train");

    double scalePosWeight = spec.scalePosWeight().value();
    if (spec.scalePosWeight().auto()) {
      long positives = trainRows.filter(col(labelColumn).equalTo(1)).count();
      long negatives = trainRows.filter(col(labelColumn).equalTo(0)).count();
      scalePosWeight = spec.scalePosWeight().resolve(negatives, positives);
    }

    // The classifier and the regressor share XGBoost's parameter setters (XGBoostEstimator) and
    // Spark's Predictor; the objective picks one, everything else is one code path.
    Predictor<?, ?, ?> predictor =
        spec.task() == TrainingSpec.Task.REGRESSION
            ? new XGBoostRegressor()
            : new XGBoostClassifier();
    XGBoostEstimator<?, ?> xgb = (XGBoostEstimator<?, ?>) predictor;
    // XGBoost's setters return the generic Params type: one statement each.
    xgb.setFeaturesCol(featureNames.toArray(new String[0]));
    predictor.setLabelCol(labelColumn);
    xgb.setObjective(spec.objective());
    xgb.setEvalMetric(spec.evalMetric());
    xgb.setNumRound(spec.numRound());
    xgb.setMaxDepth(spec.maxDepth());
    xgb.setEta(spec.eta());
    xgb.setNumWorkers(spec.numWorkers());
    xgb.setNthread(spec.nthread());
    xgb.setSeed(spec.seed());
    xgb.setTreeMethod("hist");
    xgb.setDevice(spec.device());
    if (spec.task() == TrainingSpec.Task.BINARY) {
      xgb.setScalePosWeight(scalePosWeight);
    }
    xgb.setMissing(Float.NaN);
    // Bounds the wait for all workers to reach the tracker, e.g. when an executor is lost while
    // the barrier stage starts.
    xgb.setRabitTrackerTimeout(spec.trackerTimeoutSeconds());
    // Per-round metrics come back in the summary (and go to MLflow); keep the console quiet.
    xgb.setVerbosity(0);
    xgb.setFeatureNames(featureNames.toArray(new String[0]));
    XGBoostPassThrough.apply(xgb, spec.params(), featureNames);
    if (spec.earlyStoppingRounds() > 0) {
      xgb.setNumEarlyStoppingRounds(spec.earlyStoppingRounds());
    }
    xgb.setEvalDataset(
        spreadOverWorkers(validation.select(needed), spec.numWorkers(), "validation"));
    XGBoostModel<?> model = (XGBoostModel<?>) predictor.fit(trainRows);

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

  /**
   * {@code rows} as XGBoost4J-Spark can train on them with {@code workers} workers: each worker
   * trains on one partition. XGBoost4J-Spark spreads the rows over the workers (a round-robin
   * shuffle) only when the partitions do not number the workers; when they do, it takes them as
   * they are, and a worker whose partition holds no rows fails the fit. A filtered scan has such
   * partitions: a split of a feature table over a file whose statistics do not rule the split out
   * but which holds no row of it. So when the partitions number the workers, one small job asks
   * each partition for its first row (only the columns of the scan's filter are read), and if any
   * has none, the rows are spread over the workers here.
   */
  static Dataset<Row> spreadOverWorkers(Dataset<Row> rows, int workers, String split) {
    int partitions = rows.rdd().getNumPartitions();
    if (workers < 2 || partitions != workers) {
      return rows;
    }
    List<Boolean> hasRows =
        rows.select(lit(1))
            .javaRDD()
            .mapPartitions(it -> List.of(it.hasNext()).iterator())
            .collect();
    long empty = hasRows.stream().filter(has -> !has).count();
    if (empty == 0) {
      return rows;
    }
    Log.info(
        String.format(
            "train: %d of the %s split's %d partitions hold no rows; spreading its rows over the %d"
                + " workers (a shuffle) so that every worker has rows",
            empty, split, partitions, workers));
    return rows.repartition(workers);
  }

  /**
   * The label and the features as XGBoost must see them: every feature a double in which a null is
   * NaN. XGBoost4J-Spark's CPU path reads a null cell as 0, while the scorer, the logged model and
   * Python XGBoost read it as missing (NaN); turning nulls into NaN here makes "missing" mean the
   * same in training and in every place that scores, on the CPU and the GPU path ({@code missing}
   * is NaN in both).
   */
  static Column[] trainingColumns(String labelColumn, List<String> featureNames) {
    Column[] columns = new Column[featureNames.size() + 1];
    columns[0] = col(labelColumn);
    for (int i = 0; i < featureNames.size(); i++) {
      String c = featureNames.get(i);
      columns[i + 1] = coalesce(col(c).cast(DataTypes.DoubleType), lit(Double.NaN)).as(c);
    }
    return columns;
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

  /** Whether a larger value of this XGBoost eval metric is better (auc, aucpr, map, ndcg). */
  public static boolean higherIsBetter(String metric) {
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

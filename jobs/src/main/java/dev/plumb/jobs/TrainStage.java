package dev.plumb.jobs;

import dev.plumb.evaluation.OperatingPoint;
import dev.plumb.features.FittedTransform;
import dev.plumb.features.Splits;
import dev.plumb.features.io.Laps;
import dev.plumb.features.io.Locations;
import dev.plumb.features.io.Log;
import dev.plumb.features.io.SparkSql;
import dev.plumb.features.io.Storages;
import dev.plumb.features.store.FeatureStore;
import dev.plumb.jobs.tracking.MlflowModelFiles;
import dev.plumb.jobs.tracking.RunTracker;
import dev.plumb.training.ClusterFacts;
import dev.plumb.training.ModelFiles;
import dev.plumb.training.ModelMetadata;
import dev.plumb.training.ModelStore;
import dev.plumb.training.Preflight;
import dev.plumb.training.TrainWatchdog;
import dev.plumb.training.TrainedModel;
import dev.plumb.training.TrainingSpec;
import dev.plumb.training.XGBoostTrainer;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Train: XGBoost4J-Spark on the feature set's train split, early-stopping on its validation split.
 * Before any training job, the preflight checks the spec against the cluster (workers vs task
 * slots, threads vs task cpus, dynamic allocation, GPUs) and resolves the {@code auto} settings.
 * Writes {@code <model_dir>/<id>/} with {@code model.ubj} (always: evaluation reads it), {@code
 * booster.json} when {@code train.model_format=json}, {@code model.json} (feature names, best
 * iteration, history, resolved parameters, feature-set version), the fitted transform and, for
 * binary models, {@code reference.json}: the train split's feature and score distributions that
 * {@code plumb monitor} compares new data with.
 */
final class TrainStage {

  /** What training produced. */
  record Result(
      String modelDir,
      TrainedModel model,
      String featureSetVersion,
      OperatingPoint.Choice operatingPoint) {}

  private TrainStage() {}

  static String modelRoot(PlumbConfig config) {
    return config.pathOr("train.model_dir", "models");
  }

  /**
   * What every training of one feature set reads: the stored set, its fitted transform, the train
   * and validation splits (never the test split) and the cluster's facts.
   */
  record Inputs(
      String featureDir,
      String featureVersion,
      FittedTransform transform,
      String label,
      Dataset<Row> train,
      Dataset<Row> validation,
      ClusterFacts facts) {}

  static Result run(SparkSession spark, PlumbConfig config, RunTracker tracker) {
    Laps parts = new Laps();
    Inputs in = inputs(spark, config);
    TrainingSpec spec = Preflight.check(config.trainingSpec(), in.facts());
    parts.lap("read_and_preflight");
    TrainedModel model = fit(spark, in, spec);
    parts.lap("xgboost");
    Result result = save(spark, config, in, spec, model, parts);
    // Where a training's time goes, for the next profile without an event log.
    Log.info("train: seconds by part " + parts.withTotal());
    return result;
  }

  /** Reads the feature set {@code train.feature_set_version} names and waits for executors. */
  static Inputs inputs(SparkSession spark, PlumbConfig config) {
    String featureDir = FeaturesStage.resolve(config, config.string("train.feature_set_version"));
    FittedTransform transform = FeaturesStage.featureStore(config).transform(featureDir);
    String label = config.string("features.label");
    String data = FeatureStore.data(featureDir);
    // Each split is read by several queries (the fit, the operating point, the reference; every
    // trial of a tuning run): its files are found once, from the table's log when it has one
    // commit (a feature set's table), with no Spark job of Delta's.
    List<Dataset<Row>> splits =
        SparkSql.scanDeltaWhereEquals(
            spark, data, Splits.COLUMN, List.of(Splits.TRAIN, Splits.VALIDATION));
    Dataset<Row> train = splits.get(0);
    Dataset<Row> validation = splits.get(1);
    XGBoostTrainer.checkSchema(train.schema(), label, transform.featureNames());
    ClusterFacts facts =
        awaitExecutors(
            spark,
            config.trainingSpec().numWorkers(),
            config.integer("train.executor_wait_seconds"));
    return new Inputs(
        featureDir, Locations.name(featureDir), transform, label, train, validation, facts);
  }

  /** Trains one model on the train split, early-stopping on validation, under the watchdog. */
  static TrainedModel fit(SparkSession spark, Inputs in, TrainingSpec spec) {
    Log.info("train: " + dev.plumb.training.XGBoostBuild.current().describe());
    Log.info(
        String.format(
            "train: XGBoost %s, %d workers x %d threads, device %s, up to %d rounds (feature set"
                + " %s)",
            spec.objective(),
            spec.numWorkers(),
            spec.nthread(),
            spec.device(),
            spec.numRound(),
            in.featureVersion()));
    TrainedModel model;
    try (TrainWatchdog watchdog = TrainWatchdog.start(spark.sparkContext())) {
      try {
        model =
            XGBoostTrainer.train(
                in.train(), in.validation(), spec, in.label(), in.transform().featureNames());
      } catch (Exception e) { // Scala code throws SparkException (checked) without declaring it
        throw watchdog.explain(e);
      }
    }
    Log.info(
        String.format(
            "train: %d rounds, best iteration %d", model.roundsTrained(), model.bestIteration()));
    return model;
  }

  /**
   * Writes the model to the store (booster, metadata with the operating point chosen on validation,
   * transform, MLflow files) and marks it the latest, closing {@code parts}: operating_point,
   * write, reference, publish.
   */
  static Result save(
      SparkSession spark,
      PlumbConfig config,
      Inputs in,
      TrainingSpec spec,
      TrainedModel model,
      Laps parts) {
    String id =
        in.featureVersion()
            + "-"
            + LocalDateTime.now(ZoneOffset.UTC)
                .format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss-SSS"));
    ModelStore store = new ModelStore(Storages.of(spark), modelRoot(config));
    String dir = store.dir(id);
    ModelMetadata meta =
        ModelMetadata.of(model, in.label(), in.featureVersion(), spec.modelFormat());
    OperatingPoint.Choice point = null;
    if (spec.task() == TrainingSpec.Task.BINARY) {
      point = operatingPoint(config, model, in.validation(), in.label());
      meta = meta.withOperatingPoint(point.toJson());
    }
    parts.lap("operating_point");
    store.write(dir, model.booster(), spec.modelFormat(), in.transform(), meta);
    parts.lap("write");
    if (spec.task() == TrainingSpec.Task.BINARY) {
      // What plumb monitor compares new data with: the train split as the model sees it.
      TrainingReference.write(
          dir,
          TrainingReference.measure(
              in.train(),
              FeaturesStage.splitRows(config, in.featureDir(), Splits.TRAIN),
              model.booster(),
              model.featureNames(),
              meta.iterationEnd(),
              Double.isNaN(meta.threshold()) ? 0.5 : meta.threshold(),
              config.integer("train.reference_max_rows")));
    }
    parts.lap("reference");
    MlflowModelFiles.writeMlmodel(dir, model.featureNames());
    store.markLatest(dir);
    parts.lap("publish");
    return new Result(dir, model, in.featureVersion(), point);
  }

  /**
   * The cluster's facts once executors have registered: right after spark-submit they join over a
   * few seconds, and a preflight run too early would see no task slots.
   */
  static ClusterFacts awaitExecutors(SparkSession spark, int numWorkers, int waitSeconds) {
    long deadline = System.nanoTime() + waitSeconds * 1_000_000_000L;
    ClusterFacts facts = ClusterFacts.of(spark.sparkContext());
    int wanted = Math.max(1, numWorkers);
    while (!facts.local() && facts.taskSlots() < wanted && System.nanoTime() < deadline) {
      try {
        Thread.sleep(500);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
      facts = ClusterFacts.of(spark.sparkContext());
    }
    return facts;
  }

  /**
   * The decision threshold by {@code evaluate.threshold}'s policy, chosen on the validation split
   * only (the test split is never read here), scored at the model's best iteration.
   */
  static OperatingPoint.Choice operatingPoint(
      PlumbConfig config, TrainedModel model, Dataset<Row> validation, String label) {
    OperatingPoint.Policy policy = config.thresholdPolicy();
    // Counted per distinct score where the rows are scored: no scored row leaves its task.
    ModelFiles.ScoreCounts counts =
        ModelFiles.scoreCounts(
            model.booster(), model.featureNames(), validation, model.bestIteration() + 1, label);
    OperatingPoint.Choice c =
        OperatingPoint.choose(
            new OperatingPoint.Counts(counts.scores(), counts.positives(), counts.rows(), 0, 0),
            policy,
            config.evalSpec().costs());
    Log.info(
        String.format(
            "train: operating threshold %.6f by %s on the validation split (precision %.4f, recall"
                + " %.4f, F1 %.4f)%s",
            c.threshold(),
            policy,
            c.precision(),
            c.recall(),
            c.f1(),
            c.reached() ? "" : " - the policy's floor is NOT reached on validation"));
    return c;
  }

  /** The model store of {@code config}. */
  static ModelStore modelStore(PlumbConfig config) {
    return new ModelStore(config.storage(), modelRoot(config));
  }
}

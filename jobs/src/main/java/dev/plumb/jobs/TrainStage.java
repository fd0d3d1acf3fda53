package dev.plumb.jobs;

import static org.apache.spark.sql.functions.col;

import dev.plumb.features.FittedTransform;
import dev.plumb.features.PlumbException;
import dev.plumb.features.Splits;
import dev.plumb.features.io.Locations;
import dev.plumb.features.io.Storage;
import dev.plumb.training.ClusterFacts;
import dev.plumb.training.ModelFiles;
import dev.plumb.training.ModelFormat;
import dev.plumb.training.ModelMetadata;
import dev.plumb.training.Preflight;
import dev.plumb.training.TrainedModel;
import dev.plumb.training.TrainingSpec;
import dev.plumb.training.XGBoostTrainer;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Train: XGBoost4J-Spark on the feature set's train split, early-stopping on its validation split.
 * Before any training job, the preflight checks the spec against the cluster (workers vs task
 * slots, threads vs task cpus, dynamic allocation, GPUs) and resolves the {@code auto} settings.
 * Writes {@code <model_dir>/<id>/} with {@code model.ubj} (always: evaluation reads it), {@code
 * booster.json} when {@code train.model_format=json}, {@code model.json} (feature names, best
 * iteration, history, resolved parameters, feature-set version) and the fitted transform.
 */
final class TrainStage {

  static final String MODEL_FILE = "model.ubj";
  static final String MODEL_META = "model.json";
  static final String LATEST = "LATEST";

  /** What training produced. */
  record Result(String modelDir, TrainedModel model, String featureSetVersion) {}

  private TrainStage() {}

  static String modelRoot(PlumbConfig config) {
    return config.pathOr("train.model_dir", "models");
  }

  static Result run(SparkSession spark, PlumbConfig config, RunTracker tracker) {
    TrainingSpec requested = config.trainingSpec();
    String featureDir = FeaturesStage.resolve(config, config.string("train.feature_set_version"));
    String featureVersion = Locations.name(featureDir);
    FittedTransform transform = FeaturesStage.transform(featureDir);
    String label = config.string("features.label");
    Dataset<Row> table =
        spark.read().format("delta").load(Locations.join(featureDir, FeaturesStage.DATA));
    Dataset<Row> train = table.filter(col(Splits.COLUMN).equalTo(Splits.TRAIN));
    Dataset<Row> validation = table.filter(col(Splits.COLUMN).equalTo(Splits.VALIDATION));
    XGBoostTrainer.checkSchema(table.schema(), label, transform.featureNames());
    ClusterFacts facts =
        awaitExecutors(
            spark, requested.numWorkers(), config.integer("train.executor_wait_seconds"));
    TrainingSpec spec = Preflight.check(requested, facts);
    Log.info(
        String.format(
            "train: XGBoost %s, %d workers x %d threads, device %s, up to %d rounds (feature set"
                + " %s)",
            spec.objective(),
            spec.numWorkers(),
            spec.nthread(),
            spec.device(),
            spec.numRound(),
            featureVersion));
    TrainedModel model;
    try (TrainWatchdog watchdog = TrainWatchdog.start(spark.sparkContext())) {
      try {
        model = XGBoostTrainer.train(train, validation, spec, label, transform.featureNames());
      } catch (Exception e) { // Scala code throws SparkException (checked) without declaring it
        throw watchdog.explain(e);
      }
    }
    Log.info(
        String.format(
            "train: %d rounds, best iteration %d", model.roundsTrained(), model.bestIteration()));

    String id =
        featureVersion
            + "-"
            + LocalDateTime.now(ZoneOffset.UTC)
                .format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss-SSS"));
    String dir = Locations.join(modelRoot(config), id);
    Storage storage = Storages.of(spark);
    storage.write(Locations.join(dir, MODEL_FILE), model.booster());
    if (spec.modelFormat() == ModelFormat.JSON) {
      storage.write(
          Locations.join(dir, ModelFormat.JSON.fileName()),
          ModelFiles.convert(model.booster(), ModelFormat.JSON));
    }
    JsonFiles.writeText(Locations.join(dir, FeaturesStage.TRANSFORM), transform.toJson());
    ModelMetadata meta = ModelMetadata.of(model, label, featureVersion, spec.modelFormat());
    JsonFiles.write(Locations.join(dir, MODEL_META), meta.toJson());
    MlflowModelFiles.writeMlmodel(dir, model.featureNames());
    JsonFiles.writeText(Locations.join(modelRoot(config), LATEST), id);
    return new Result(dir, model, featureVersion);
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

  /** The model folder to use: the given one, or the latest trained. */
  static String resolve(PlumbConfig config, String modelDir) {
    String root = modelRoot(config);
    String dir =
        modelDir.isEmpty()
            ? Locations.join(
                root,
                Locations.checkSegment(
                    JsonFiles.readText(Locations.join(root, LATEST), "the latest model", "train"),
                    "the latest model id"))
            : Locations.qualify(modelDir);
    if (!Storages.current().isFile(Locations.join(dir, MODEL_FILE))) {
      throw JobErrors.missingStageOutput("a model file", Locations.join(dir, MODEL_FILE), "train");
    }
    return dir;
  }

  /**
   * The booster bytes of the model in {@code dir}, checked on the driver: a damaged file fails here
   * with one message naming it, never inside Spark tasks.
   */
  /** The typed metadata ({@code model.json}) of the model in {@code dir}. */
  static ModelMetadata metadata(String dir) {
    String location = Locations.join(dir, MODEL_META);
    return ModelMetadata.fromJson(
        JsonFiles.read(location, "the model metadata", "train"), location);
  }

  static byte[] loadBooster(String dir) {
    String location = Locations.join(dir, MODEL_FILE);
    byte[] bytes = Storages.current().read(location);
    try {
      ModelFiles.load(bytes, location).dispose();
    } catch (IllegalArgumentException e) {
      throw new PlumbException(PlumbException.Category.BAD_INPUT, e.getMessage(), e);
    }
    return bytes;
  }
}

package dev.plumb.training;

import dev.plumb.features.FittedTransform;
import dev.plumb.features.io.JsonFiles;
import dev.plumb.features.io.Locations;
import dev.plumb.features.io.PlumbException;
import dev.plumb.features.io.Storage;
import dev.plumb.features.io.YamlDocs;
import dev.plumb.features.store.FeatureStore;

/**
 * Where trained models live: {@code <root>/<id>/{model.ubj, model.json (metadata), transform.json
 * (the feature set's fitted transform, shipped with the model), reference.json (the training
 * reference of {@code plumb monitor}), [model.json booster copy when asked], MLmodel}} and {@code
 * <root>/LATEST}. The booster and metadata are written before {@code LATEST} moves, each as one
 * whole-file write, so a reader that follows {@code LATEST} finds a complete model on object stores
 * too. Other stages read models only through {@link #resolve}, {@link #metadata} and {@link
 * #booster}.
 */
public final class ModelStore {

  public static final String MODEL_FILE = "model.ubj";
  public static final String MODEL_META = "model.json";
  public static final String TRANSFORM = FeatureStore.TRANSFORM;

  /**
   * The training reference (feature and score distributions on the train split) that {@code plumb
   * monitor} compares new data with; written after the model, absent from models trained before it
   * existed.
   */
  public static final String REFERENCE = "reference.json";

  public static final String LATEST = "LATEST";

  private final Storage storage;
  private final String root;

  public ModelStore(Storage storage, String root) {
    this.storage = storage;
    this.root = root;
  }

  /** The folder a new model with id {@code id} is written to. */
  public String dir(String id) {
    return Locations.join(root, Locations.checkSegment(id, "the model id"));
  }

  /**
   * Writes a trained model's files into {@code dir}: the booster (and a JSON copy when {@code
   * format} asks for one), the fitted transform and the metadata. {@link #markLatest} publishes it.
   */
  public void write(
      String dir,
      byte[] booster,
      ModelFormat format,
      FittedTransform transform,
      ModelMetadata meta) {
    storage.write(Locations.join(dir, MODEL_FILE), booster);
    if (format == ModelFormat.JSON) {
      storage.write(
          Locations.join(dir, ModelFormat.JSON.fileName()),
          ModelFiles.convert(booster, ModelFormat.JSON));
    }
    storage.writeText(Locations.join(dir, TRANSFORM), transform.toJson());
    storage.writeText(Locations.join(dir, MODEL_META), YamlDocs.toJson(meta.toJson()));
  }

  /** Points {@code LATEST} at the model in {@code dir}. */
  public void markLatest(String dir) {
    storage.writeText(Locations.join(root, LATEST), Locations.name(dir));
  }

  /** The model folder to use: {@code modelDir}, or the latest trained when empty. */
  public String resolve(String modelDir) {
    String dir =
        modelDir.isEmpty()
            ? Locations.join(
                root,
                Locations.checkSegment(
                    JsonFiles.readText(Locations.join(root, LATEST), "the latest model", "train"),
                    "the latest model id"))
            : Locations.qualify(modelDir);
    if (!storage.isFile(Locations.join(dir, MODEL_FILE))) {
      throw JsonFiles.missing("a model file", Locations.join(dir, MODEL_FILE), "train");
    }
    return dir;
  }

  /** The typed metadata ({@code model.json}) of the model in {@code dir}. */
  public ModelMetadata metadata(String dir) {
    String location = Locations.join(dir, MODEL_META);
    return ModelMetadata.fromJson(
        JsonFiles.read(location, "the model metadata", "train"), location);
  }

  /**
   * The booster bytes of the model in {@code dir}, checked on the driver: a damaged file fails here
   * with one message naming it, never inside Spark tasks.
   */
  public byte[] booster(String dir) {
    String location = Locations.join(dir, MODEL_FILE);
    byte[] bytes = storage.read(location);
    try {
      ModelFiles.load(bytes, location).dispose();
    } catch (IllegalArgumentException e) {
      throw new PlumbException(PlumbException.Category.BAD_INPUT, e.getMessage(), e);
    }
    return bytes;
  }
}

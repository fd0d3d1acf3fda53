package dev.plumb.jobs;

import dev.plumb.evaluation.DriftReference;
import dev.plumb.features.io.JsonFiles;
import dev.plumb.features.io.Locations;
import dev.plumb.features.io.Log;
import dev.plumb.features.io.Storage;
import dev.plumb.training.ModelFiles;
import dev.plumb.training.ModelStore;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.storage.StorageLevel;

/**
 * The training reference stored with a model ({@link ModelStore#REFERENCE}): the train split's
 * feature and score distributions that {@code plumb monitor} compares new data with. Written by
 * {@code plumb train}; measured again from the feature set for a model trained before it existed.
 */
final class TrainingReference {

  private TrainingReference() {}

  /**
   * Measures the reference of a model on {@code train} (feature rows): scored once (cached), then
   * one quantile pass for the bin edges and one counting pass for every share and the positive rate
   * at {@code threshold}.
   */
  static DriftReference measure(
      Dataset<Row> train,
      byte[] booster,
      List<String> featureNames,
      int iterationEnd,
      double threshold) {
    Dataset<Row> scored =
        ModelFiles.score(booster, featureNames, train, iterationEnd)
            .persist(StorageLevel.MEMORY_AND_DISK());
    try {
      return DriftReference.fit(
          scored,
          featureNames,
          ModelFiles.SCORE,
          threshold,
          DriftReference.DEFAULT_BINS,
          dev.plumb.features.Splits.TRAIN);
    } finally {
      scored.unpersist();
    }
  }

  /** Writes {@code reference} into the model folder {@code dir}. */
  static String write(String dir, DriftReference reference) {
    String location = Locations.join(dir, ModelStore.REFERENCE);
    JsonFiles.write(location, reference.toJson());
    Log.info(
        String.format(
            "train: training reference of %d features and the score on %,d %s rows -> %s",
            reference.featureCuts().size(), reference.rows(), reference.split(), location));
    return location;
  }

  /** The reference stored in the model folder {@code dir}, or null when it has none. */
  static DriftReference read(Storage storage, String dir) {
    String location = Locations.join(dir, ModelStore.REFERENCE);
    if (!storage.isFile(location)) {
      return null;
    }
    return DriftReference.fromJson(
        JsonFiles.parse(storage.read(location), location, "the training reference", "train"),
        location);
  }
}

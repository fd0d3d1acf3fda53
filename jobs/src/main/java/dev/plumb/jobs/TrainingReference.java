package dev.plumb.jobs;

import dev.plumb.evaluation.Drift;
import dev.plumb.evaluation.DriftReference;
import dev.plumb.features.Splits;
import dev.plumb.features.io.JsonFiles;
import dev.plumb.features.io.Locations;
import dev.plumb.features.io.Log;
import dev.plumb.features.io.Storage;
import dev.plumb.training.ModelFiles;
import dev.plumb.training.ModelStore;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * The training reference stored with a model ({@link ModelStore#REFERENCE}): the train split's
 * feature and score distributions that {@code plumb monitor} compares new data with. Written by
 * {@code plumb train}; measured again from the feature set for a model trained before it existed.
 */
final class TrainingReference {

  private TrainingReference() {}

  /** The seed of the sample a train split larger than {@code train.reference_max_rows} gives. */
  static final long SAMPLE_SEED = 29L;

  /**
   * Measures the reference of a model on {@code train} (feature rows) in two passes and no cache:
   * the edges from the seeded sample {@link Drift#fitSample} draws (the sample alone scored, one
   * quantile pass), then every row scored once and counted into those bins in the same pass ({@link
   * ModelFiles#scoreIntoBins}) for the exact shares and the positive rate at {@code threshold}. The
   * same edges and shares as {@link DriftReference#fit} on the scored rows, without scoring every
   * row twice or caching them.
   *
   * <p>Over {@code maxRows} rows, "every row" is a seeded Bernoulli sample of {@code maxRows /
   * rows} of them (about {@code maxRows}, the same rows on every run of the same table): scoring is
   * what the reference costs, and a million rows put each share within about 0.001 of the whole
   * split's (three standard errors), far below what a drift gate can see. {@link
   * DriftReference#rows} is then the rows measured, not the split's.
   *
   * @param rows the rows of {@code train} when known (the feature set's manifest), else -1
   * @param maxRows the rows measured at most (sampled above it); 0 = every row
   */
  static DriftReference measure(
      Dataset<Row> train,
      long rows,
      byte[] booster,
      List<String> featureNames,
      int iterationEnd,
      double threshold,
      long maxRows) {
    long n = rows >= 0 ? rows : train.count();
    if (maxRows > 0 && n > maxRows) {
      Log.info(
          String.format(
              "train: the training reference is measured on a seeded sample of about %,d of the"
                  + " %,d train rows (train.reference_max_rows; 0 = every row)",
              maxRows, n));
      train = train.sample(false, (double) maxRows / n, SAMPLE_SEED);
      n = maxRows;
    }
    DriftReference edges =
        DriftReference.edges(
            ModelFiles.score(booster, featureNames, Drift.fitSample(train, n), iterationEnd),
            featureNames,
            ModelFiles.SCORE,
            threshold,
            DriftReference.DEFAULT_BINS,
            Splits.TRAIN);
    ModelFiles.BinCounts counts =
        ModelFiles.scoreIntoBins(
            booster,
            featureNames,
            train,
            iterationEnd,
            edges.featureCuts(),
            edges.scoreCuts(),
            threshold,
            null,
            List.of());
    return edges.measured(
        edges.profile(counts.rows(), counts.features(), counts.score(), counts.atLeastThreshold()));
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

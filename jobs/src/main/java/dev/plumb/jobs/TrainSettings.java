package dev.plumb.jobs;

import dev.plumb.training.ModelFormat;
import dev.plumb.training.ScalePosWeight;
import dev.plumb.training.TrainingSpec;

/** The full training spec from config: the {@code train.*} keys, each validated. */
final class TrainSettings {

  private TrainSettings() {}

  /** The training spec of {@code config}; throws "Cannot configure training: ..." when invalid. */
  static TrainingSpec spec(PlumbConfig config) {
    return config
        .trainingSpec()
        .withScalePosWeight(ScalePosWeight.parse(config.string("train.scale_pos_weight")))
        .withModelFormat(ModelFormat.parse(config.string("train.model_format")))
        .withTrackerTimeoutSeconds(config.integer("train.tracker_timeout_seconds"));
  }
}

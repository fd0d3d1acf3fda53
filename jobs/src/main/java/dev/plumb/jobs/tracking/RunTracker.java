package dev.plumb.jobs.tracking;

import java.util.List;
import java.util.Map;

/** The port to experiment tracking (MLflow); one run per job. */
public interface RunTracker extends AutoCloseable {

  /**
   * One input dataset of a run, for lineage in the tracking UI.
   *
   * @param name a short name (e.g. "raw", "clean", "feature-set")
   * @param digest the content fingerprint (MLflow keeps at most 36 characters)
   * @param sourceType where it lives ("local", "delta", "path", ...)
   * @param source JSON describing the location (e.g. {@code {"uri": "...", "version": 3}})
   * @param context what the run used it for ("training", "evaluation", "ingest", ...)
   * @param profile JSON with facts about it (row counts, the full fingerprint), or ""
   */
  record DatasetInput(
      String name,
      String digest,
      String sourceType,
      String source,
      String context,
      String profile) {}

  /** How long a call may keep retrying before the run gives up on the server. */
  default void retryFor(java.time.Duration budget) {}

  /**
   * A tracker for one child run of this one (a tuning trial): its {@link #start} nests the run
   * under this run in the tracking UI. Call after {@link #start}.
   */
  default RunTracker child() {
    return this;
  }

  /** Starts the run; returns its id ("" when not tracking). */
  String start(String runName, Map<String, String> tags);

  void logParams(Map<String, String> params);

  void setTags(Map<String, String> tags);

  /** Logs metrics at one step. */
  void logMetrics(Map<String, Double> metrics, long step);

  /** Logs a series of values of one metric, one per step starting at 0. */
  void logMetricHistory(String key, float[] values);

  /** Records the run's input datasets (name, source, digest). */
  default void logInputs(List<DatasetInput> inputs) {}

  /** Uploads a local file under {@code artifactDir} ("" for the root). */
  void logArtifact(String location, String artifactDir);

  /**
   * Uploads an MLflow model folder (with its {@code MLmodel} file) under {@code artifactPath} and
   * records it as the run's logged model.
   */
  default void logModel(String modelDir, String artifactPath) {}

  /**
   * Registers the model logged under {@code artifactPath} in the Model Registry; returns the new
   * version ("" when not tracking).
   */
  default String registerModel(String artifactPath, String name, Map<String, String> tags) {
    return "";
  }

  /** Ends the run as FINISHED or FAILED. */
  void finish(boolean succeeded);

  /** The run's page in the tracking UI, or "" when not tracking. */
  String runUrl();

  @Override
  default void close() {}
}

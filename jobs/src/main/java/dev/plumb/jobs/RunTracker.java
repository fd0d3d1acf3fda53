package dev.plumb.jobs;

import java.nio.file.Path;
import java.util.Map;

/** The port to experiment tracking (MLflow); one run per job. */
public interface RunTracker extends AutoCloseable {

  /** Starts the run; returns its id ("" when not tracking). */
  String start(String runName, Map<String, String> tags);

  void logParams(Map<String, String> params);

  void setTags(Map<String, String> tags);

  /** Logs metrics at one step. */
  void logMetrics(Map<String, Double> metrics, long step);

  /** Logs a series of values of one metric, one per step starting at 0. */
  void logMetricHistory(String key, float[] values);

  /** Uploads a local file under {@code artifactDir} ("" for the root). */
  void logArtifact(Path file, String artifactDir);

  /** Ends the run as FINISHED or FAILED. */
  void finish(boolean succeeded);

  /** The run's page in the tracking UI, or "" when not tracking. */
  String runUrl();

  @Override
  default void close() {}
}

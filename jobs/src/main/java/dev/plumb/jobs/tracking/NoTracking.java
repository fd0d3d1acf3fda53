package dev.plumb.jobs.tracking;

import dev.plumb.features.io.Log;
import java.util.Map;

/** {@code --tracking none}: logs nothing, says so once. */
public final class NoTracking implements RunTracker {

  @Override
  public String start(String runName, Map<String, String> tags) {
    Log.info("tracking is off (--tracking none): nothing is logged to MLflow");
    return "";
  }

  @Override
  public void logParams(Map<String, String> params) {}

  @Override
  public void setTags(Map<String, String> tags) {}

  @Override
  public void logMetrics(Map<String, Double> metrics, long step) {}

  @Override
  public void logMetricHistory(String key, float[] values) {}

  @Override
  public void logArtifact(String location, String artifactDir) {}

  @Override
  public void finish(boolean succeeded) {}

  @Override
  public String runUrl() {
    return "";
  }
}

package dev.plumb.features.io;

import static org.apache.spark.sql.functions.col;

import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Observation;

/** Small Spark SQL helpers every stage uses. */
public final class SparkSql {

  private SparkSql() {}

  /** The column named {@code name} exactly, whatever it holds (dots, spaces, backticks). */
  public static Column column(String name) {
    return col("`" + name.replace("`", "``") + "`");
  }

  /**
   * The values an {@link Observation} collected, once the action that carried it has run.
   *
   * @param job what was running, for the message when the wait is interrupted
   */
  public static Map<String, Object> observed(Observation observation, String job) {
    try {
      return observation.getAsJava();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("Cannot finish " + job + ": interrupted", e);
    }
  }
}

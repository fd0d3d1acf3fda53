package dev.plumb.jobs;

import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/** Builds the job's SparkSession from config; spark-submit's settings win where it set them. */
final class SparkSessions {

  private SparkSessions() {}

  static SparkSession create(PlumbConfig config, String appName) {
    if (SparkSession.getActiveSession().isDefined()) {
      return SparkSession.getActiveSession().get();
    }
    if (SparkSession.getDefaultSession().isDefined()) {
      return SparkSession.getDefaultSession().get();
    }
    // SparkConf() reads the spark.* system properties that spark-submit sets.
    SparkConf submitted = new SparkConf();
    SparkSession.Builder builder = SparkSession.builder().appName(appName);
    if (!submitted.contains("spark.master")) {
      builder.master(config.string("spark.master"));
      builder.config("spark.driver.bindAddress", "127.0.0.1");
      builder.config("spark.driver.host", "127.0.0.1");
    }
    setIfAbsent(builder, submitted, "spark.ui.enabled", String.valueOf(config.flag("spark.ui")));
    setIfAbsent(builder, submitted, "spark.ui.showConsoleProgress", "false");
    setIfAbsent(
        builder,
        submitted,
        "spark.sql.shuffle.partitions",
        String.valueOf(config.integer("spark.shuffle_partitions")));
    setIfAbsent(
        builder, submitted, "spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension");
    setIfAbsent(
        builder,
        submitted,
        "spark.sql.catalog.spark_catalog",
        "org.apache.spark.sql.delta.catalog.DeltaCatalog");
    setIfAbsent(builder, submitted, "spark.sql.session.timeZone", "UTC");
    for (Map.Entry<String, String> e : config.sparkConf().entrySet()) {
      builder.config(e.getKey(), e.getValue());
    }
    return builder.getOrCreate();
  }

  private static void setIfAbsent(
      SparkSession.Builder builder, SparkConf submitted, String key, String value) {
    if (!submitted.contains(key)) {
      builder.config(key, value);
    }
  }
}

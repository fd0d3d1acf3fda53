package dev.plumb.jobs;

import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/** Builds the job's SparkSession from config; spark-submit's settings win where it set them. */
final class SparkSessions {

  private SparkSessions() {}

  static SparkSession create(PlumbConfig config, String appName) {
    if (SparkSession.getActiveSession().isDefined()) {
      return withHadoopSettings(SparkSession.getActiveSession().get(), config);
    }
    if (SparkSession.getDefaultSession().isDefined()) {
      return withHadoopSettings(SparkSession.getDefaultSession().get(), config);
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
    SparkSession spark = builder.getOrCreate();
    if (!submitted.contains(SNAPSHOT_PARTITIONS)
        && !config.sparkConf().containsKey(SNAPSHOT_PARTITIONS)) {
      spark
          .conf()
          .set(
              SNAPSHOT_PARTITIONS,
              snapshotPartitions(
                  config.integer("spark.shuffle_partitions"),
                  spark.sparkContext().isLocal(),
                  spark.sparkContext().defaultParallelism()));
    }
    return spark;
  }

  static final String SNAPSHOT_PARTITIONS = "spark.databricks.delta.snapshotPartitions";

  /**
   * The tasks of Delta's table-state jobs. Delta rebuilds a table's state (its log's actions) in a
   * Spark job of this many tasks, 50 by default, once per table version read, and every read
   * filters the files to scan over that state in as many tasks: for Plumb's tables (a handful of
   * commits) 50 tiny tasks cost more than the work. On a cluster the shuffle partitions; in local
   * mode at most one per core (8 tasks on 2 cores ran in four waves: 0.13-0.17 s per read against
   * 0.05 s with one task, 1M-row pipeline, event log). A log of many thousands of files may want it
   * higher again (spark.conf.spark.databricks.delta.snapshotPartitions).
   */
  static int snapshotPartitions(int shufflePartitions, boolean local, int cores) {
    return local ? Math.max(1, Math.min(shufflePartitions, cores)) : shufflePartitions;
  }

  /**
   * A session Plumb did not create (a Databricks JAR task, a test) keeps its settings; only the
   * config's {@code spark.hadoop.*} keys (endpoints, credentials providers for the paths this job
   * names) are added to its Hadoop configuration, as Spark would have at start-up.
   */
  private static SparkSession withHadoopSettings(SparkSession spark, PlumbConfig config) {
    String prefix = "spark.hadoop.";
    for (Map.Entry<String, String> e : config.sparkConf().entrySet()) {
      if (e.getKey().startsWith(prefix)) {
        spark
            .sparkContext()
            .hadoopConfiguration()
            .set(e.getKey().substring(prefix.length()), e.getValue());
      }
    }
    return spark;
  }

  private static void setIfAbsent(
      SparkSession.Builder builder, SparkConf submitted, String key, String value) {
    if (!submitted.contains(key)) {
      builder.config(key, value);
    }
  }
}

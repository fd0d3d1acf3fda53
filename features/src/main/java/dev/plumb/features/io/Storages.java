package dev.plumb.features.io;

import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;

/**
 * Where the jobs get their {@link Storage}: over the running Spark session's Hadoop configuration
 * (so {@code spark.hadoop.*} credentials and endpoints apply to Plumb's own files exactly as to the
 * data), or, before a session exists, over a configuration built the way Spark builds it from
 * {@code spark.hadoop.*} settings (system properties, which spark-submit sets, then the config's
 * {@code spark.conf.spark.hadoop.*}).
 */
public final class Storages {

  private static final String HADOOP_PREFIX = "spark.hadoop.";

  private Storages() {}

  /** The storage of the active (or default) Spark session, else one built without a session. */
  public static Storage current() {
    if (SparkSession.getActiveSession().isDefined()) {
      return of(SparkSession.getActiveSession().get());
    }
    if (SparkSession.getDefaultSession().isDefined()) {
      return of(SparkSession.getDefaultSession().get());
    }
    return beforeSpark(Map.of());
  }

  public static Storage of(SparkSession spark) {
    return new HadoopStorage(spark.sparkContext().hadoopConfiguration());
  }

  /** A storage for reading config, contract and spec files before a Spark session exists. */
  public static Storage beforeSpark(Map<String, String> sparkConf) {
    Configuration conf = new Configuration();
    System.getProperties()
        .forEach(
            (k, v) -> {
              String key = String.valueOf(k);
              if (key.startsWith(HADOOP_PREFIX)) {
                conf.set(key.substring(HADOOP_PREFIX.length()), String.valueOf(v));
              }
            });
    sparkConf.forEach(
        (k, v) -> {
          if (k.startsWith(HADOOP_PREFIX)) {
            conf.set(k.substring(HADOOP_PREFIX.length()), v);
          }
        });
    return new HadoopStorage(conf);
  }
}

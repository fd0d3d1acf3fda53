package dev.plumb.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.TimeZone;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * JUnit 5 extension that shares one SparkSession per test JVM: {@code local[2]}, UI off, 2 shuffle
 * partitions, UTC, {@code Locale.US}, bound to 127.0.0.1, Delta enabled. Tests receive it as a
 * {@link SparkSession} parameter. The session is stopped when the JVM's root test context closes.
 */
public final class SharedSpark implements ParameterResolver {

  private static final String KEY = SharedSpark.class.getName();

  /** The shared session, created on first use. */
  public static synchronized SparkSession session() {
    if (SparkSession.getDefaultSession().isDefined()) {
      return SparkSession.getDefaultSession().get();
    }
    TimeZone.setDefault(TimeZone.getTimeZone("UTC"));
    Locale.setDefault(Locale.US);
    Path warehouse;
    try {
      warehouse = Files.createTempDirectory("plumb-spark-warehouse");
    } catch (java.io.IOException e) {
      throw new IllegalStateException("Cannot create a Spark warehouse directory: " + e, e);
    }
    return SparkSession.builder()
        .master("local[2]")
        .appName("plumb-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.warehouse.dir", warehouse.toUri().toString())
        .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
        .config(
            "spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
        .config("spark.databricks.delta.snapshotPartitions", "2")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate();
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == SparkSession.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    context
        .getRoot()
        .getStore(ExtensionContext.Namespace.GLOBAL)
        .getOrComputeIfAbsent(KEY, k -> new Closer(), Closer.class);
    return session();
  }

  /** Stops the session once, when the root context (the whole test run) closes. */
  private static final class Closer implements ExtensionContext.Store.CloseableResource {
    @Override
    public void close() {
      if (SparkSession.getDefaultSession().isDefined()) {
        SparkSession.getDefaultSession().get().stop();
      }
    }
  }
}

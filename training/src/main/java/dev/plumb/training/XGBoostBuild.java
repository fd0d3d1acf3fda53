package dev.plumb.training;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.security.CodeSource;
import java.util.Properties;

/**
 * Which XGBoost4J-Spark build the job runs with: the CPU jar Plumb is built against, or the GPU
 * build ({@code xgboost4j-spark-gpu}, which carries its own copy of the same classes plus the GPU
 * plugin) that GPU clusters put on the classpath instead. Logged when training starts, so a run's
 * driver log says which one trained the model.
 *
 * @param gpu true when the GPU build's plugin class is present
 * @param version the build's Maven version, "" when its jar does not say
 * @param location where the XGBoost4J-Spark classes were loaded from
 */
public record XGBoostBuild(boolean gpu, String version, String location) {

  static final String CLASSIFIER = "ml.dmlc.xgboost4j.scala.spark.XGBoostClassifier";
  static final String GPU_PLUGIN = "ml.dmlc.xgboost4j.scala.spark.GpuXGBoostPlugin";

  /** The build on this JVM's classpath. */
  public static XGBoostBuild current() {
    ClassLoader loader = Thread.currentThread().getContextClassLoader();
    if (loader == null) {
      loader = XGBoostBuild.class.getClassLoader();
    }
    Class<?> classifier;
    try {
      classifier = Class.forName(CLASSIFIER, false, loader);
    } catch (ClassNotFoundException e) {
      return new XGBoostBuild(false, "", "(XGBoost4J-Spark is not on the classpath)");
    }
    boolean gpu;
    try {
      Class.forName(GPU_PLUGIN, false, loader);
      gpu = true;
    } catch (ClassNotFoundException e) {
      gpu = false;
    }
    CodeSource source = classifier.getProtectionDomain().getCodeSource();
    String location = source == null ? "(unknown)" : String.valueOf(source.getLocation());
    String artifact = gpu ? "xgboost4j-spark-gpu_" : "xgboost4j-spark_";
    return new XGBoostBuild(gpu, version(classifier, artifact), location);
  }

  private static String version(Class<?> classifier, String artifactPrefix) {
    for (String scala : new String[] {"2.12", "2.13"}) {
      String path = "META-INF/maven/ml.dmlc/" + artifactPrefix + scala + "/pom.properties";
      URL url = classifier.getClassLoader().getResource(path);
      if (url == null) {
        continue;
      }
      try (InputStream in = url.openStream()) {
        Properties p = new Properties();
        p.load(in);
        return p.getProperty("version", "");
      } catch (IOException e) {
        return "";
      }
    }
    return "";
  }

  /** One line for the driver log. */
  public String describe() {
    return "XGBoost4J-Spark "
        + (version.isEmpty() ? "" : version + " ")
        + (gpu ? "GPU build" : "CPU build")
        + ", from "
        + location;
  }
}

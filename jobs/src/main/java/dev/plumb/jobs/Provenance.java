package dev.plumb.jobs;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.SparkSession;

/** Where a run came from: git commit, versions of Plumb and its stack, MLflow source tags. */
final class Provenance {

  private Provenance() {}

  static Map<String, String> tags(SparkSession spark) {
    Map<String, String> tags = new LinkedHashMap<>();
    String commit = commit();
    if (!commit.isEmpty()) {
      tags.put("mlflow.source.git.commit", commit);
      tags.put("plumb.git.dirty", String.valueOf(!git("status", "--porcelain").isEmpty()));
    }
    tags.put("mlflow.source.type", "JOB");
    tags.put("mlflow.source.name", "dev.plumb.jobs.Plumb");
    tags.put("mlflow.user", System.getProperty("user.name", "unknown"));
    tags.put("plumb.version", version());
    tags.put("plumb.spark_version", spark.version());
    // The XGBoost that runs: a GPU cluster's xgboost4j-spark-gpu jar replaces the one built with.
    dev.plumb.training.XGBoostBuild xgboost = dev.plumb.training.XGBoostBuild.current();
    tags.put(
        "plumb.xgboost_version",
        xgboost.version().isEmpty() ? BuildInfo.get("xgboost.version") : xgboost.version());
    tags.put("plumb.xgboost_build", xgboost.gpu() ? "gpu" : "cpu");
    tags.put("plumb.delta_version", BuildInfo.get("delta.version"));
    tags.put("plumb.spark_master", spark.sparkContext().master());
    return tags;
  }

  /** The git commit of the working directory, or "" outside a git checkout. */
  static String commit() {
    return git("rev-parse", "HEAD");
  }

  static String version() {
    return BuildInfo.get("plumb.version");
  }

  private static String git(String... args) {
    String[] command = new String[args.length + 1];
    command[0] = "git";
    System.arraycopy(args, 0, command, 1, args.length);
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
        return "";
      }
      return out;
    } catch (IOException e) {
      return "";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "";
    }
  }
}

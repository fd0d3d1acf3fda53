package dev.plumb.jobs;

import dev.plumb.features.ingest.DataFingerprint;
import dev.plumb.features.ingest.IngestRun;
import dev.plumb.features.io.JsonFiles;
import dev.plumb.features.io.Locations;
import dev.plumb.features.io.Log;
import dev.plumb.features.io.PlumbException;
import dev.plumb.features.io.YamlDocs;
import dev.plumb.jobs.tracking.MlflowTracker;
import dev.plumb.training.ModelStore;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.spark.sql.SparkSession;

/**
 * {@code plumb reproduce runs:/<id>}: re-executes a tracked run from what it logged. Its resolved
 * config (an artifact) becomes the config again, secrets taken from the current environment; the
 * input must still have the logged data fingerprint, or the job stops and names the files that
 * changed, appeared or went; the feature set is reused from the store when its version is there (or
 * rebuilt from the same inputs); the model is retrained and evaluated in a new run tagged {@code
 * plumb.reproduces}; then the logged model files and metrics of both runs are compared.
 */
final class ReproduceStage {

  /** The jobs a run can be reproduced from; a demo is reproduced as the pipeline it ran. */
  static final List<String> JOBS =
      List.of("demo", "pipeline", "ingest", "features", "train", "evaluate");

  /**
   * What the reproduction found.
   *
   * @param original the reproduced run
   * @param outcome the new run's outcome
   * @param newRunId the new run
   * @param modelIdentical the logged {@code model.ubj} of both runs hold the same bytes (true when
   *     neither run logged a model)
   * @param differentMetrics metrics whose values differ (timings left out), with both values
   * @param codeChanged the git commit differs from the logged one
   * @param report the JSON report
   */
  record Result(
      String original,
      Pipeline.Outcome outcome,
      String newRunId,
      boolean modelIdentical,
      Map<String, List<Double>> differentMetrics,
      boolean codeChanged,
      String report) {

    boolean identical() {
      return modelIdentical && differentMetrics.isEmpty();
    }
  }

  private ReproduceStage() {}

  /** The run id of {@code runs:/ID} (anything after the id is ignored). */
  static String runId(String ref) {
    if (!ref.startsWith("runs:/") || ref.length() <= "runs:/".length()) {
      throw JobErrors.usage("reproduce takes a run: plumb reproduce runs:/RUN_ID");
    }
    String rest = ref.substring("runs:/".length());
    int slash = rest.indexOf('/');
    return Locations.checkSegment(slash < 0 ? rest : rest.substring(0, slash), "the run id");
  }

  /**
   * The config the run logged, with the current config's values for its redacted secrets, without
   * registering a model (a reproduction is not a release), and with {@code sets} on top.
   */
  static PlumbConfig loggedConfig(
      MlflowTracker mlflow,
      String runId,
      PlumbConfig current,
      List<String> sets,
      Map<String, String> env) {
    byte[] yaml;
    try {
      yaml = mlflow.downloadArtifact(runId, "config/resolved-config.yaml");
    } catch (RuntimeException e) {
      throw new PlumbException(
          PlumbException.Category.BAD_INPUT,
          "Cannot reproduce run "
              + runId
              + ": it has no config/resolved-config.yaml artifact ("
              + e.getMessage()
              + "); only runs of plumb "
              + JOBS
              + " log their resolved config",
          e);
    }
    Map<String, Object> logged =
        YamlDocs.parse(new String(yaml, StandardCharsets.UTF_8), "run " + runId + "'s config");
    List<String> overrides = new ArrayList<>();
    for (Map.Entry<String, Object> e : logged.entrySet()) {
      String key = e.getKey();
      String value = String.valueOf(e.getValue());
      if (ConfigKeys.find(key) == null
          && !key.contains(".params.")
          && !key.startsWith(ConfigKeys.SPARK_CONF_PREFIX)) {
        Log.warn(
            "reproduce: run "
                + runId
                + " logged key '"
                + key
                + "', unknown to this build: left out");
        continue;
      }
      if (PlumbConfig.isSecret(key)) {
        value = rawValue(current, key);
        if (value.isEmpty()) {
          continue; // redacted in the log and not given now: the default
        }
      }
      overrides.add(key + "=" + value);
    }
    // The run logs where the current config tracks (the logged URI may be redacted or moved).
    overrides.add("tracking.uri=" + current.string("tracking.uri"));
    overrides.addAll(sets);
    overrides.add("tracking.register_model=");
    return PlumbConfig.load(null, overrides, env);
  }

  /** A key's value in {@code config} as text ("" when it has none). */
  private static String rawValue(PlumbConfig config, String key) {
    if (key.startsWith(ConfigKeys.SPARK_CONF_PREFIX)) {
      return config
          .sparkConf()
          .getOrDefault(key.substring(ConfigKeys.SPARK_CONF_PREFIX.length()), "");
    }
    return ConfigKeys.find(key) == null ? "" : config.string(key);
  }

  static Result run(
      SparkSession spark,
      PlumbConfig config,
      MlflowTracker mlflow,
      MlflowTracker.LoggedRun original,
      String resolvedConfig) {
    String id = original.runId();
    String job = original.tags().getOrDefault("plumb.job", "");
    if (!JOBS.contains(job)) {
      throw JobErrors.usage(
          "Cannot reproduce run " + id + ": it ran plumb '" + job + "'; reproduce covers " + JOBS);
    }
    String loggedFingerprint = original.tags().getOrDefault("plumb.data_fingerprint", "");
    if (!loggedFingerprint.isEmpty()) {
      DataFingerprint now =
          IngestRun.fingerprint(spark, IngestStage.settings(config), IngestStage.contract(config));
      if (!now.hash().equals(loggedFingerprint)) {
        throw new PlumbException(
            PlumbException.Category.BAD_INPUT,
            "Cannot reproduce run "
                + id
                + ": the input's data fingerprint changed (logged "
                + loggedFingerprint.substring(0, Math.min(16, loggedFingerprint.length()))
                + ", now "
                + now.hash().substring(0, 16)
                + "): "
                + whatChanged(mlflow, id, now)
                + ". Restore the input the run read (ingest.input "
                + config.inputRoots()
                + "), or pin it (a Delta table version) next time");
      }
      Log.info(
          "reproduce: the input still has the logged fingerprint " + now.hash().substring(0, 16));
    }
    String commit = original.tags().getOrDefault("mlflow.source.git.commit", "");
    String current = Provenance.commit();
    boolean codeChanged = !commit.isEmpty() && !commit.equals(current);
    if (codeChanged) {
      Log.warn(
          "reproduce: run "
              + id
              + " ran at commit "
              + commit
              + ", this is "
              + (current.isEmpty() ? "not a git checkout" : current)
              + ": model bytes and metrics may differ");
    }
    String version = original.tags().getOrDefault("plumb.feature_set_version", "");
    if (!version.isEmpty()
        && !job.equals("demo")
        && !job.equals("pipeline")
        && !job.equals("features")) {
      config = config.with("train.feature_set_version", version);
    }
    Pipeline.Outcome outcome =
        Pipeline.run(
            job.equals("demo") ? "pipeline" : job,
            spark,
            config,
            mlflow,
            resolvedConfig,
            Map.of("plumb.reproduces", id));
    String newRunId = runIdOf(outcome.runUrl());
    MlflowTracker.LoggedRun again = mlflow.loggedRun(newRunId);
    boolean modelIdentical = true;
    String modelFile = Pipeline.MODEL_ARTIFACT + "/" + ModelStore.MODEL_FILE;
    if (!original.tags().getOrDefault("plumb.feature_set_version", "").isEmpty()
        && (job.equals("demo") || job.equals("pipeline") || job.equals("train"))) {
      byte[] before = mlflow.downloadArtifact(id, modelFile);
      byte[] after = mlflow.downloadArtifact(newRunId, modelFile);
      modelIdentical = java.util.Arrays.equals(before, after);
    }
    Map<String, List<Double>> different = new TreeMap<>();
    TreeSet<String> keys = new TreeSet<>(original.metrics().keySet());
    keys.addAll(again.metrics().keySet());
    for (String k : keys) {
      if (k.contains("seconds")) {
        continue; // timings differ run to run
      }
      Double a = original.metrics().get(k);
      Double b = again.metrics().get(k);
      if (a == null || b == null || Double.compare(a, b) != 0) {
        List<Double> both = new ArrayList<>();
        both.add(a);
        both.add(b);
        different.put(k, both);
      }
    }
    String report = Locations.join(config.workDir(), "reports", "reproduce-" + id + ".json");
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("original_run", id);
    json.put("new_run", newRunId);
    json.put("job", job);
    json.put("data_fingerprint", loggedFingerprint);
    json.put("feature_set_version", version);
    json.put("git_commit_logged", commit);
    json.put("git_commit_now", current);
    json.put("model_bytes_identical", modelIdentical);
    json.put("metrics_compared", keys.stream().filter(k -> !k.contains("seconds")).count());
    json.put("metrics_different", different);
    JsonFiles.write(report, json);
    Map<String, String> tags = new LinkedHashMap<>();
    tags.put("plumb.reproduced.model_identical", String.valueOf(modelIdentical));
    tags.put("plumb.reproduced.metrics_identical", String.valueOf(different.isEmpty()));
    mlflow.setRunTags(newRunId, tags);
    return new Result(id, outcome, newRunId, modelIdentical, different, codeChanged, report);
  }

  private static String runIdOf(String url) {
    return url.substring(url.lastIndexOf('/') + 1);
  }

  /** Which files changed, appeared or went since the run, from its logged ingest report. */
  @SuppressWarnings("unchecked")
  static String whatChanged(MlflowTracker mlflow, String runId, DataFingerprint now) {
    Map<String, Object> report;
    try {
      report =
          YamlDocs.parse(
              new String(
                  mlflow.downloadArtifact(runId, "ingest/ingest-report.json"),
                  StandardCharsets.UTF_8),
              "run " + runId + "'s ingest report");
    } catch (RuntimeException e) {
      return "the run's ingest report cannot be read to say which file changed ("
          + e.getMessage()
          + ")";
    }
    Object details = report.get("details");
    Map<String, Object> parts =
        (Map<String, Object>)
            (details instanceof Map<?, ?> d
                ? ((Map<String, Object>) d).get("fingerprint_parts")
                : report.get("fingerprint_parts"));
    if (parts == null) {
      return "the run's ingest report predates per-file fingerprints";
    }
    List<String> changes = new ArrayList<>();
    if (!String.valueOf(parts.get("contract_hash")).equals(now.contractHash())) {
      changes.add("the data contract or row filter changed");
    }
    if (parts.containsKey("table_version")
        && !String.valueOf(parts.get("table_version")).equals(String.valueOf(now.tableVersion()))) {
      changes.add(
          "Delta table version " + parts.get("table_version") + " -> " + now.tableVersion());
    }
    Map<String, Map<String, Object>> before = new TreeMap<>();
    for (Object f : (List<Object>) parts.getOrDefault("files", List.of())) {
      Map<String, Object> m = (Map<String, Object>) f;
      before.put(String.valueOf(m.get("path")), m);
    }
    Map<String, DataFingerprint.FileEntry> after = new TreeMap<>();
    now.files().forEach(f -> after.put(f.path(), f));
    for (Map.Entry<String, Map<String, Object>> e : before.entrySet()) {
      DataFingerprint.FileEntry f = after.get(e.getKey());
      if (f == null) {
        changes.add("removed " + e.getKey());
      } else if (!String.valueOf(e.getValue().get("digest")).equals(f.digest())
          || !String.valueOf(e.getValue().get("size")).equals(String.valueOf(f.size()))) {
        changes.add(
            "changed "
                + e.getKey()
                + " ("
                + e.getValue().get("size")
                + " -> "
                + f.size()
                + " bytes)");
      }
    }
    after.keySet().stream()
        .filter(p -> !before.containsKey(p))
        .forEach(p -> changes.add("added " + p));
    return changes.isEmpty()
        ? "no file differs (the fingerprint's other parts did)"
        : String.join("; ", changes);
  }
}

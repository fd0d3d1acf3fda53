package dev.plumb.jobs.tracking;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.plumb.features.io.Locations;
import dev.plumb.features.io.Log;
import dev.plumb.features.io.Storage;
import dev.plumb.features.io.StorageException;
import dev.plumb.features.io.Storages;
import dev.plumb.features.io.YamlDocs;
import dev.plumb.jobs.ArtifactPaths;
import dev.plumb.jobs.JobErrors;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;
import org.mlflow.tracking.MlflowClient;
import org.mlflow.tracking.creds.BasicMlflowHostCreds;

/**
 * Tracks a run in MLflow over its REST API, through {@link MlflowHttp} (auth, timeouts, retries).
 * Artifacts go through the server's artifact proxy ({@code mlflow-artifacts} REST API) or, for
 * {@code file}, {@code s3}, {@code dbfs}, {@code hdfs} (and other Hadoop) artifact roots, through
 * Hadoop FileSystem, so no Python is needed on the driver; any other artifact root falls back to
 * the MLflow Java client's CLI path (which needs the Python {@code mlflow} package), and says so.
 *
 * <p>When the server is lost mid-run (a call still fails after the retry budget), the job goes on
 * without tracking, so Delta tables and model files are still written; at the end the run is marked
 * FAILED if the server is back, and the job fails with the list of what was not logged.
 */
public final class MlflowTracker implements RunTracker {

  // MLflow's limits: logBatch takes 1000 metrics, 100 params, 100 tags per request.
  private static final int MAX_METRICS = 1000;
  private static final int MAX_PARAMS = 100;
  private static final int MAX_PARAM_VALUE = 6000;
  private static final int MAX_TAG_VALUE = 8000;
  private static final int MAX_DIGEST = 36;
  private static final Duration PREFLIGHT_BUDGET = Duration.ofSeconds(5);
  private static final Duration DEFAULT_RETRY_BUDGET = Duration.ofSeconds(120);
  private static final Set<String> HADOOP_SCHEMES =
      Set.of("file", "s3", "s3a", "s3n", "dbfs", "hdfs", "gs", "abfs", "abfss", "wasb", "wasbs");
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String uri;
  private final String experimentName;
  private final Duration timeout;
  private final Map<String, String> env;
  private MlflowHttp http;
  private MlflowClient cliClient;
  private String runId;
  private String parentRunId;
  private String experimentId;
  private String artifactUri;
  private MlflowHttp.Failure lost;
  private final List<String> notLogged = new ArrayList<>();

  /** A tracker with the default retry budget (120 s per call). */
  public MlflowTracker(
      String uri, String experimentName, Duration timeout, Map<String, String> env) {
    this(uri, experimentName, timeout, DEFAULT_RETRY_BUDGET, env);
  }

  /**
   * @param uri the tracking URI: http(s)://host:port or {@code databricks}
   * @param experimentName created when missing
   * @param timeout connect and read timeout of each HTTP call
   * @param retryBudget how long one call may keep retrying connection errors, 429 and 5xx
   * @param env the environment (auth variables)
   */
  public MlflowTracker(
      String uri,
      String experimentName,
      Duration timeout,
      Duration retryBudget,
      Map<String, String> env) {
    this.uri = MlflowHttp.stripSlash(uri);
    this.experimentName = experimentName;
    this.timeout = timeout;
    this.env = Map.copyOf(env);
    this.http = new MlflowHttp(MlflowHttp.resolve(this.uri, env), timeout, retryBudget);
  }

  @Override
  public void retryFor(Duration budget) {
    http = new MlflowHttp(http.endpoint(), timeout, budget);
  }

  /** Fails with a clear message, before any compute, when the server does not answer. */
  public void checkReachable() {
    MlflowHttp.Endpoint e = http.endpoint();
    int status;
    try {
      status =
          e.databricks()
              ? http.probe(
                  "reach the Databricks MLflow API",
                  "/api/2.0/mlflow/experiments/get-by-name?experiment_name="
                      + URLEncoder.encode(experimentName, StandardCharsets.UTF_8),
                  PREFLIGHT_BUDGET)
              : http.probe("reach the MLflow server", "/health", PREFLIGHT_BUDGET);
    } catch (MlflowHttp.Failure f) {
      throw JobErrors.trackingUnreachable(uri, f.getMessage());
    }
    if (status == 401 || status == 403) {
      throw JobErrors.trackingRejected(uri, status);
    }
    if (e.databricks() ? status / 100 == 5 : status != 200) {
      throw JobErrors.trackingUnreachable(
          uri, (e.databricks() ? "the MLflow API" : "GET /health") + " answered HTTP " + status);
    }
  }

  @Override
  public RunTracker child() {
    if (runId == null) {
      throw new IllegalStateException("Cannot start a child run before the parent run");
    }
    MlflowTracker child = new MlflowTracker(uri, experimentName, timeout, http.retryBudget(), env);
    child.parentRunId = runId;
    return child;
  }

  @Override
  public String start(String runName, Map<String, String> tags) {
    checkReachable();
    experimentId = experimentId();
    Map<String, String> all = new LinkedHashMap<>(tags);
    all.putIfAbsent("mlflow.runName", runName);
    if (parentRunId != null) {
      all.put("mlflow.parentRunId", parentRunId);
    }
    ObjectNode body = JSON.createObjectNode();
    body.put("experiment_id", experimentId);
    body.put("run_name", runName);
    body.put("start_time", System.currentTimeMillis());
    body.set("tags", pairs(all, MAX_TAG_VALUE));
    JsonNode info = http.post("create an MLflow run", "runs/create", body).path("run").path("info");
    runId = info.path("run_id").asText();
    artifactUri = info.path("artifact_uri").asText();
    Log.info("MLflow run " + runId + ": " + runUrl());
    return runId;
  }

  private String experimentId() {
    try {
      return experimentIdByName();
    } catch (MlflowHttp.Failure f) {
      if (!f.errorCode().equals("RESOURCE_DOES_NOT_EXIST")) {
        throw f;
      }
    }
    try {
      return http.post(
              "create MLflow experiment '" + experimentName + "'",
              "experiments/create",
              Map.of("name", experimentName))
          .path("experiment_id")
          .asText();
    } catch (MlflowHttp.Failure f) {
      if (!f.errorCode().equals("RESOURCE_ALREADY_EXISTS")) {
        throw f;
      }
      // Another job created it in between.
      return experimentIdByName();
    }
  }

  private String experimentIdByName() {
    return http.get(
            "look up MLflow experiment '" + experimentName + "'",
            "experiments/get-by-name",
            Map.of("experiment_name", experimentName))
        .path("experiment")
        .path("experiment_id")
        .asText();
  }

  @Override
  public void logParams(Map<String, String> params) {
    List<Map.Entry<String, String>> entries = new ArrayList<>(params.entrySet());
    for (int i = 0; i < entries.size(); i += MAX_PARAMS) {
      List<Map.Entry<String, String>> batch =
          entries.subList(i, Math.min(entries.size(), i + MAX_PARAMS));
      Map<String, String> chunk = new LinkedHashMap<>();
      batch.forEach(e -> chunk.put(e.getKey(), e.getValue()));
      guarded(
          describe("params", chunk.keySet()),
          () -> logBatch(JSON.createArrayNode(), pairs(chunk, MAX_PARAM_VALUE), null));
    }
  }

  @Override
  public void setTags(Map<String, String> tags) {
    List<Map.Entry<String, String>> entries = new ArrayList<>(tags.entrySet());
    for (int i = 0; i < entries.size(); i += MAX_PARAMS) {
      Map<String, String> chunk = new LinkedHashMap<>();
      entries
          .subList(i, Math.min(entries.size(), i + MAX_PARAMS))
          .forEach(e -> chunk.put(e.getKey(), e.getValue()));
      guarded(
          describe("tags", chunk.keySet()),
          () -> logBatch(JSON.createArrayNode(), null, pairs(chunk, MAX_TAG_VALUE)));
    }
  }

  @Override
  public void logMetrics(Map<String, Double> metrics, long step) {
    long now = System.currentTimeMillis();
    ArrayNode batch = JSON.createArrayNode();
    metrics.forEach(
        (k, v) -> {
          if (v != null && !v.isNaN() && !v.isInfinite()) {
            batch.add(metric(k, v, step, now));
          }
        });
    sendMetrics(batch, describe("metrics", metrics.keySet()) + " at step " + step);
  }

  @Override
  public void logMetricHistory(String key, float[] values) {
    long now = System.currentTimeMillis();
    ArrayNode batch = JSON.createArrayNode();
    for (int i = 0; i < values.length; i++) {
      if (Float.isFinite(values[i])) {
        batch.add(metric(key, values[i], i, now));
      }
    }
    sendMetrics(batch, "metric history " + key + " (" + values.length + " steps)");
  }

  private static ObjectNode metric(String key, double value, long step, long now) {
    ObjectNode m = JSON.createObjectNode();
    m.put("key", key);
    m.put("value", value);
    m.put("step", step);
    m.put("timestamp", now);
    return m;
  }

  private void sendMetrics(ArrayNode metrics, String what) {
    for (int i = 0; i < metrics.size(); i += MAX_METRICS) {
      ArrayNode chunk = JSON.createArrayNode();
      for (int j = i; j < Math.min(metrics.size(), i + MAX_METRICS); j++) {
        chunk.add(metrics.get(j));
      }
      guarded(what, () -> logBatch(chunk, null, null));
    }
  }

  private void logBatch(ArrayNode metrics, ArrayNode params, ArrayNode tags) {
    ObjectNode body = JSON.createObjectNode();
    body.put("run_id", runId);
    body.set("metrics", metrics);
    body.set("params", params == null ? JSON.createArrayNode() : params);
    body.set("tags", tags == null ? JSON.createArrayNode() : tags);
    http.post("log to MLflow run " + runId, "runs/log-batch", body);
  }

  @Override
  public void logInputs(List<DatasetInput> inputs) {
    if (inputs.isEmpty()) {
      return;
    }
    ArrayNode datasets = JSON.createArrayNode();
    for (DatasetInput in : inputs) {
      ObjectNode d = JSON.createObjectNode();
      d.put("name", in.name());
      d.put("digest", in.digest().substring(0, Math.min(MAX_DIGEST, in.digest().length())));
      d.put("source_type", in.sourceType());
      d.put("source", in.source());
      if (!in.profile().isEmpty()) {
        d.put("profile", in.profile());
      }
      ObjectNode input = JSON.createObjectNode();
      input.set("tags", pairs(Map.of("mlflow.data.context", in.context()), 500));
      input.set("dataset", d);
      datasets.add(input);
    }
    ObjectNode body = JSON.createObjectNode();
    body.put("run_id", runId);
    body.set("datasets", datasets);
    guarded(
        describe("dataset inputs", inputs.stream().map(DatasetInput::name).toList()),
        () -> http.post("log dataset inputs to MLflow run " + runId, "runs/log-inputs", body));
  }

  @Override
  public void logArtifact(String location, String artifactDir) {
    String relative = (artifactDir.isEmpty() ? "" : artifactDir + "/") + Locations.name(location);
    ArtifactPaths.check(relative);
    guarded(
        "artifact " + relative,
        () ->
            upload(
                artifactUri,
                Storages.current().read(location),
                Locations.name(location),
                artifactDir,
                relative));
  }

  private void upload(String root, byte[] bytes, String name, String artifactDir, String relative) {
    String scheme = schemeOf(root);
    if (scheme.equals("mlflow-artifacts")) {
      uploadThroughProxy(root, relative, bytes);
      return;
    }
    if (scheme.isEmpty() || HADOOP_SCHEMES.contains(scheme)) {
      String reason =
          uploadThroughHadoop(scheme.isEmpty() ? "file:" + root : root, relative, bytes);
      if (reason == null) {
        return;
      }
      Log.warn(
          "artifact root "
              + root
              + ": Hadoop FileSystem cannot write it ("
              + reason
              + "); falling back to the MLflow client's CLI upload (needs the Python mlflow"
              + " package)");
    } else {
      Log.warn(
          "artifact root "
              + root
              + " is neither served by the tracking server (mlflow-artifacts:) nor a Hadoop"
              + " FileSystem URI; falling back to the MLflow client's CLI upload (needs the"
              + " Python mlflow package)");
    }
    // The CLI uploads a local file: stage the bytes under their own name in a temp folder.
    try {
      java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("plumb-artifact");
      java.nio.file.Path file = dir.resolve(name);
      java.nio.file.Files.write(file, bytes);
      try {
        cliClient().logArtifact(runId, file.toFile(), artifactDir.isEmpty() ? null : artifactDir);
      } finally {
        java.nio.file.Files.deleteIfExists(file);
        java.nio.file.Files.deleteIfExists(dir);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(
          "Cannot stage artifact " + relative + ": " + e.getMessage(), e);
    }
  }

  /**
   * Writes the artifact through the storage port (Spark's Hadoop configuration: the same
   * credentials as the data); returns null when written, else why Hadoop could not (no FileSystem
   * for the scheme).
   */
  private static String uploadThroughHadoop(String root, String relative, byte[] bytes) {
    String target = MlflowHttp.stripSlash(root) + "/" + relative;
    try {
      Storages.current().write(target, bytes);
      return null;
    } catch (StorageException e) {
      if (e.getCause() instanceof org.apache.hadoop.fs.UnsupportedFileSystemException) {
        return e.getCause().getMessage();
      }
      throw new StorageException(
          "Cannot log artifact " + relative + " to " + root + ": " + e.getMessage(),
          target,
          e.getCause());
    }
  }

  private MlflowClient cliClient() {
    if (cliClient == null) {
      MlflowHttp.Endpoint e = http.endpoint();
      String token =
          e.databricks() ? env.get("DATABRICKS_TOKEN") : env.get("MLFLOW_TRACKING_TOKEN");
      cliClient =
          new MlflowClient(
              new BasicMlflowHostCreds(
                  e.baseUri(),
                  e.databricks() ? null : env.get("MLFLOW_TRACKING_USERNAME"),
                  e.databricks() ? null : env.get("MLFLOW_TRACKING_PASSWORD"),
                  token,
                  "true".equalsIgnoreCase(env.get("MLFLOW_TRACKING_INSECURE_TLS"))));
    }
    return cliClient;
  }

  private void uploadThroughProxy(String root, String relative, byte[] bytes) {
    http.put("upload artifact " + relative, proxyPath(root, relative), bytes);
  }

  /**
   * The bytes of artifact {@code path} (e.g. {@code model/model.ubj}) of run {@code runId}: through
   * the server's artifact proxy, or from the run's artifact root on a Hadoop filesystem.
   */
  public byte[] downloadArtifact(String runId, String path) {
    ArtifactPaths.check(path);
    JsonNode info =
        http.get("read run " + runId, "runs/get", Map.of("run_id", runId)).path("run").path("info");
    String root = info.path("artifact_uri").asText();
    String scheme = schemeOf(root);
    if (scheme.equals("mlflow-artifacts")) {
      return http.download("download artifact " + path + " of run " + runId, proxyPath(root, path));
    }
    String base = scheme.isEmpty() ? "file:" + root : root;
    return Storages.current().read(MlflowHttp.stripSlash(base) + "/" + path);
  }

  /** The file names directly under artifact folder {@code path} of run {@code runId}. */
  public java.util.List<String> listArtifacts(String runId, String path) {
    java.util.List<String> out = new java.util.ArrayList<>();
    http.get(
            "list the artifacts of run " + runId,
            "artifacts/list",
            Map.of("run_id", runId, "path", path))
        .path("files")
        .forEach(
            f -> {
              String p = f.path("path").asText();
              out.add(p.substring(p.lastIndexOf('/') + 1));
            });
    return out;
  }

  /**
   * The run and artifact path behind a registered model: {@code models:/NAME@ALIAS} or {@code
   * models:/NAME/VERSION}.
   */
  public String[] registeredModel(String uri) {
    String rest = uri.substring("models:/".length());
    JsonNode mv;
    int at = rest.lastIndexOf('@');
    int slash = rest.lastIndexOf('/');
    if (at > 0) {
      mv =
          http.get(
                  "resolve " + uri,
                  "registered-models/alias",
                  Map.of("name", rest.substring(0, at), "alias", rest.substring(at + 1)))
              .path("model_version");
    } else if (slash > 0) {
      mv =
          http.get(
                  "resolve " + uri,
                  "model-versions/get",
                  Map.of("name", rest.substring(0, slash), "version", rest.substring(slash + 1)))
              .path("model_version");
    } else {
      throw new IllegalArgumentException(
          "Cannot resolve " + uri + ": write models:/NAME@ALIAS or models:/NAME/VERSION");
    }
    String runId = mv.path("run_id").asText();
    String source = mv.path("source").asText();
    String path =
        source.startsWith("runs:/")
            ? source.substring(source.indexOf('/', "runs:/".length()) + 1)
            : source.contains("/artifacts/")
                ? source.substring(source.indexOf("/artifacts/") + "/artifacts/".length())
                : "model";
    return new String[] {runId, path};
  }

  /**
   * A finished run as it was logged: what {@code plumb reproduce} re-executes from.
   *
   * @param runId the run
   * @param status its status (FINISHED, FAILED, ...)
   * @param params its params
   * @param tags its tags
   * @param metrics the latest value of each metric
   */
  public record LoggedRun(
      String runId,
      String status,
      Map<String, String> params,
      Map<String, String> tags,
      Map<String, Double> metrics) {}

  /** Sets tags on any run (a finished one too). */
  public void setRunTags(String id, Map<String, String> tags) {
    tags.forEach(
        (k, v) ->
            http.post("tag run " + id, "runs/set-tag", Map.of("run_id", id, "key", k, "value", v)));
  }

  /** Reads a run's params, tags and metrics. */
  public LoggedRun loggedRun(String id) {
    JsonNode run = http.get("look up run " + id, "runs/get", Map.of("run_id", id)).path("run");
    Map<String, String> params = new LinkedHashMap<>();
    run.path("data")
        .path("params")
        .forEach(n -> params.put(n.path("key").asText(), n.path("value").asText()));
    Map<String, String> tags = new LinkedHashMap<>();
    run.path("data")
        .path("tags")
        .forEach(n -> tags.put(n.path("key").asText(), n.path("value").asText()));
    Map<String, Double> metrics = new LinkedHashMap<>();
    run.path("data")
        .path("metrics")
        .forEach(n -> metrics.put(n.path("key").asText(), n.path("value").asDouble()));
    return new LoggedRun(id, run.path("info").path("status").asText(), params, tags, metrics);
  }

  /**
   * The version behind {@code models:/NAME@ALIAS}, or "" when the model or the alias does not exist
   * (yet).
   */
  public String aliasVersion(String name, String alias) {
    try {
      return http.get(
              "resolve models:/" + name + "@" + alias,
              "registered-models/alias",
              Map.of("name", name, "alias", alias))
          .path("model_version")
          .path("version")
          .asText();
    } catch (MlflowHttp.Failure f) {
      if (f.status() == 404
          || f.errorCode().equals("RESOURCE_DOES_NOT_EXIST")
          || f.errorCode().equals("INVALID_PARAMETER_VALUE")) {
        return "";
      }
      throw f;
    }
  }

  /** Points {@code alias} of the registered model at {@code version}. */
  public void setAlias(String name, String alias, String version) {
    http.post(
        "set alias '" + alias + "' of registered model '" + name + "' to version " + version,
        "registered-models/alias",
        Map.of("name", name, "alias", alias, "version", version));
  }

  /** Sets tags on one version of a registered model. */
  public void setModelVersionTags(String name, String version, Map<String, String> tags) {
    tags.forEach(
        (k, v) ->
            http.post(
                "tag version " + version + " of registered model '" + name + "'",
                "model-versions/set-tag",
                Map.of("name", name, "version", version, "key", k, "value", v)));
  }

  /**
   * Registers the model another run logged under {@code artifactPath} as a new version of {@code
   * name} (creating the registered model when missing); returns the version.
   */
  public String registerRunModel(String runId, String artifactPath, String name) {
    String root =
        http.get("look up run " + runId, "runs/get", Map.of("run_id", runId))
            .path("run")
            .path("info")
            .path("artifact_uri")
            .asText();
    return createVersion(
        name, MlflowHttp.stripSlash(root) + "/" + artifactPath, runId, "", Map.of());
  }

  private static String proxyPath(String root, String relative) {
    // mlflow-artifacts:/<exp>/<run>/artifacts -> /api/2.0/mlflow-artifacts/artifacts/<...>
    String base = root.substring("mlflow-artifacts:".length());
    if (base.startsWith("//")) {
      int slash = base.indexOf('/', 2);
      base = slash < 0 ? "" : base.substring(slash);
    }
    StringBuilder path = new StringBuilder("/api/2.0/mlflow-artifacts/artifacts");
    for (String part : (MlflowHttp.stripSlash(base) + "/" + relative).split("/")) {
      if (!part.isEmpty()) {
        path.append('/')
            .append(URLEncoder.encode(part, StandardCharsets.UTF_8).replace("+", "%20"));
      }
    }
    return path.toString();
  }

  @Override
  public void logModel(String modelDir, String artifactPath) {
    ArtifactPaths.check(artifactPath);
    Storage storage = Storages.current();
    String mlmodelText = null;
    for (Storage.Entry f : storage.listFilesRecursively(modelDir)) {
      String relative = f.location().substring(modelDir.length() + 1);
      int slash = relative.lastIndexOf('/');
      String dir = slash < 0 ? artifactPath : artifactPath + "/" + relative.substring(0, slash);
      logArtifact(f.location(), dir);
      if (relative.equals("MLmodel")) {
        mlmodelText = storage.readText(f.location());
      }
    }
    if (mlmodelText != null) {
      // What the UI reads to show the run's logged models.
      Map<String, Object> entry = new LinkedHashMap<>();
      entry.put("run_id", runId);
      entry.put("artifact_path", artifactPath);
      Map<String, Object> m = YamlDocs.parse(mlmodelText, Locations.join(modelDir, "MLmodel"));
      entry.put("utc_time_created", m.getOrDefault("utc_time_created", Instant.now().toString()));
      entry.put("flavors", m.get("flavors"));
      entry.put("model_uuid", m.getOrDefault("model_uuid", UUID.randomUUID().toString()));
      entry.put("mlflow_version", m.get("mlflow_version"));
      setTags(Map.of("mlflow.log-model.history", YamlDocs.toJson(List.of(entry))));
      guarded(
          "logged model '" + artifactPath + "'",
          () -> loggedModel = logLoggedModel(modelDir, artifactPath));
    }
  }

  /** The MLflow 3 logged model of this run ({@code m-...}), or null when none was logged. */
  private String loggedModel;

  /** The id of the logged model (MLflow 3) this run's model was logged as, or "" if none. */
  public String loggedModelId() {
    return loggedModel == null ? "" : loggedModel;
  }

  /**
   * On a server with MLflow 3's logged-models API, also logs the model as a LoggedModel of the run,
   * as Python's {@code log_model} does there: created PENDING with the run as its source, linked as
   * the run's output, its files uploaded to the model's own artifact location ({@code MLmodel}
   * carrying its {@code model_id}), then marked READY. It then shows under the run's logged models
   * and loads by {@code models:/m-<id>}; {@code runs:/<id>/<name>} keeps working from the run's own
   * copy. On an MLflow 2 server (the API answers 404) nothing more is done.
   */
  private String logLoggedModel(String modelDir, String name) {
    ObjectNode create = JSON.createObjectNode();
    create.put("experiment_id", experimentId);
    create.put("name", name);
    create.put("source_run_id", runId);
    create.put("model_type", "xgboost");
    JsonNode created;
    try {
      created = http.post("create a logged model of run " + runId, "logged-models", create);
    } catch (MlflowHttp.Failure f) {
      if (f.status() == 404 || f.errorCode().equals("ENDPOINT_NOT_FOUND")) {
        return null; // MLflow 2: no logged models; the run's artifacts are the model
      }
      throw f;
    }
    JsonNode info = created.path("model").path("info");
    String id = info.path("model_id").asText();
    String root = info.path("artifact_uri").asText();
    ObjectNode link = JSON.createObjectNode();
    link.put("run_id", runId);
    ObjectNode output = JSON.createObjectNode();
    output.put("model_id", id);
    output.put("step", 0);
    link.set("models", JSON.createArrayNode().add(output));
    http.post("link logged model " + id + " to run " + runId, "runs/outputs", link);
    Storage storage = Storages.current();
    for (Storage.Entry f : storage.listFilesRecursively(modelDir)) {
      String relative = f.location().substring(modelDir.length() + 1);
      int slash = relative.lastIndexOf('/');
      byte[] bytes = storage.read(f.location());
      if (relative.equals("MLmodel")) {
        bytes =
            (new String(bytes, StandardCharsets.UTF_8).stripTrailing() + "\nmodel_id: " + id + "\n")
                .getBytes(StandardCharsets.UTF_8);
      }
      if (!schemeOf(root).equals("mlflow-artifacts")
          && !HADOOP_SCHEMES.contains(schemeOf(root))
          && !schemeOf(root).isEmpty()) {
        Log.warn(
            "logged model "
                + id
                + ": its artifact location "
                + root
                + " is neither the server's proxy nor a Hadoop FileSystem; its files are only"
                + " under the run's '"
                + name
                + "'");
        break;
      }
      upload(
          root,
          bytes,
          Locations.name(f.location()),
          slash < 0 ? "" : relative.substring(0, slash),
          relative);
    }
    ObjectNode finalize = JSON.createObjectNode();
    finalize.put("model_id", id);
    finalize.put("status", "LOGGED_MODEL_READY");
    http.patch("mark logged model " + id + " READY", "logged-models/" + id, finalize);
    Log.info("logged the model as MLflow logged model " + id + " (models:/" + id + ")");
    return id;
  }

  @Override
  public String registerModel(String artifactPath, String name, Map<String, String> tags) {
    return guarded(
        "model registration '" + name + "'",
        () -> {
          String version =
              createVersion(
                  name,
                  MlflowHttp.stripSlash(artifactUri) + "/" + artifactPath,
                  runId,
                  runUrl(),
                  tags);
          Log.info("registered the model as '" + name + "' version " + version);
          return version;
        },
        "");
  }

  /**
   * A new version of registered model {@code name} (created when missing) from {@code source};
   * returns its number.
   */
  private String createVersion(
      String name, String source, String run, String runLink, Map<String, String> tags) {
    try {
      http.post(
          "create registered model '" + name + "'",
          "registered-models/create",
          Map.of("name", name));
    } catch (MlflowHttp.Failure f) {
      if (!f.errorCode().equals("RESOURCE_ALREADY_EXISTS")) {
        throw f;
      }
    }
    ObjectNode body = JSON.createObjectNode();
    body.put("name", name);
    body.put("source", source);
    body.put("run_id", run);
    if (!runLink.isEmpty()) {
      body.put("run_link", runLink);
    }
    body.set("tags", pairs(tags, 5000));
    return http.post(
            "create a version of registered model '" + name + "'", "model-versions/create", body)
        .path("model_version")
        .path("version")
        .asText();
  }

  @Override
  public void finish(boolean succeeded) {
    if (runId == null) {
      return;
    }
    if (lost != null) {
      String state;
      try {
        endRun("FAILED");
        state = "The run was marked FAILED.";
      } catch (MlflowHttp.Failure f) {
        state =
            "The run could not be marked FAILED either ("
                + f.getMessage()
                + "); it stays RUNNING in the UI until it is ended by hand.";
      }
      throw JobErrors.trackingLost(runId, uri, lost.getMessage(), notLogged, state);
    }
    endRun(succeeded ? "FINISHED" : "FAILED");
  }

  private void endRun(String status) {
    ObjectNode body = JSON.createObjectNode();
    body.put("run_id", runId);
    body.put("status", status);
    body.put("end_time", System.currentTimeMillis());
    http.post("end MLflow run " + runId + " as " + status, "runs/update", body);
  }

  /** What was not logged because the server was lost (empty when all went through). */
  public List<String> notLogged() {
    return List.copyOf(notLogged);
  }

  @Override
  public String runUrl() {
    if (runId == null) {
      return "";
    }
    MlflowHttp.Endpoint e = http.endpoint();
    return e.display()
        + (e.databricks() ? "/#mlflow/experiments/" : "/#/experiments/")
        + experimentId
        + "/runs/"
        + runId;
  }

  /** The run's artifact root URI as the server reported it. */
  public String artifactUri() {
    return artifactUri;
  }

  @Override
  public void close() {
    if (cliClient != null) {
      cliClient.close();
    }
  }

  private void guarded(String what, Runnable call) {
    guarded(
        what,
        () -> {
          call.run();
          return null;
        },
        null);
  }

  /**
   * Runs one logging call. Once the server is lost (retries exhausted), later calls are skipped and
   * recorded, so the compute goes on and its outputs are kept; {@link #finish} then fails the job.
   */
  private <T> T guarded(String what, Supplier<T> call, T skipped) {
    if (runId == null) {
      throw new IllegalStateException("Cannot log " + what + ": the MLflow run was not started");
    }
    if (lost != null) {
      notLogged.add(what);
      return skipped;
    }
    try {
      return call.get();
    } catch (MlflowHttp.Failure f) {
      if (!f.unreachable()) {
        throw f;
      }
      lost = f;
      notLogged.add(what);
      Log.warn(
          f.getMessage()
              + ". Tracking stops here: the job goes on, keeps its outputs and fails at the end"
              + " naming what was not logged");
      return skipped;
    }
  }

  private static ArrayNode pairs(Map<String, String> map, int maxValue) {
    ArrayNode out = JSON.createArrayNode();
    map.forEach(
        (k, v) -> {
          ObjectNode n = JSON.createObjectNode();
          n.put("key", k);
          String value = v == null ? "" : v;
          n.put("value", value.length() > maxValue ? value.substring(0, maxValue) : value);
          out.add(n);
        });
    return out;
  }

  private static String describe(String what, java.util.Collection<String> keys) {
    List<String> list = new ArrayList<>(keys);
    String shown = String.join(", ", list.subList(0, Math.min(3, list.size())));
    return what + " " + shown + (list.size() > 3 ? ", ... (" + list.size() + ")" : "");
  }

  private static String schemeOf(String uri) {
    if (uri.startsWith("/")) {
      return "";
    }
    int colon = uri.indexOf(':');
    return colon <= 0 ? "" : uri.substring(0, colon).toLowerCase(Locale.ROOT);
  }
}

package dev.plumb.jobs;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.mlflow.api.proto.Service.CreateRun;
import org.mlflow.api.proto.Service.Metric;
import org.mlflow.api.proto.Service.Param;
import org.mlflow.api.proto.Service.RunInfo;
import org.mlflow.api.proto.Service.RunStatus;
import org.mlflow.api.proto.Service.RunTag;
import org.mlflow.tracking.MlflowClient;
import org.mlflow.tracking.creds.BasicMlflowHostCreds;

/**
 * Tracks a run in MLflow through the MLflow Java client. Artifacts go through the server's artifact
 * proxy ({@code mlflow-artifacts} REST API) or straight to a {@code file:} artifact root, so no
 * Python is needed on the driver; other artifact stores fall back to the client's CLI path.
 */
final class MlflowTracker implements RunTracker {

  // MLflow's logBatch limits: 1000 metrics, 100 params, 100 tags per request.
  private static final int MAX_METRICS = 1000;
  private static final int MAX_PARAMS = 100;
  private static final int MAX_PARAM_VALUE = 6000;

  private final String uri;
  private final String experimentName;
  private final Duration timeout;
  private final Map<String, String> env;
  private final HttpClient http;
  private MlflowClient client;
  private RunInfo run;

  MlflowTracker(String uri, String experimentName, Duration timeout, Map<String, String> env) {
    this.uri = stripSlash(uri);
    this.experimentName = experimentName;
    this.timeout = timeout;
    this.env = env;
    this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
  }

  /** Fails with a clear message, before any compute, when the server does not answer. */
  void checkReachable() {
    if (uri.isEmpty()) {
      throw JobErrors.trackingUnreachable("(none)", "no tracking URI is set");
    }
    if (!uri.startsWith("http://") && !uri.startsWith("https://")) {
      throw JobErrors.trackingUnreachable(
          uri, "only http(s) tracking servers are supported (the Java client has no file store)");
    }
    try {
      HttpResponse<String> r =
          http.send(request("/health").GET().build(), HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200) {
        throw JobErrors.trackingUnreachable(uri, "GET /health answered HTTP " + r.statusCode());
      }
    } catch (IOException e) {
      throw JobErrors.trackingUnreachable(uri, e.getClass().getSimpleName() + " " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw JobErrors.trackingUnreachable(uri, "interrupted");
    }
  }

  @Override
  public String start(String runName, Map<String, String> tags) {
    checkReachable();
    client =
        new MlflowClient(
            new BasicMlflowHostCreds(
                uri,
                env.get("MLFLOW_TRACKING_USERNAME"),
                env.get("MLFLOW_TRACKING_PASSWORD"),
                env.get("MLFLOW_TRACKING_TOKEN"),
                "true".equalsIgnoreCase(env.get("MLFLOW_TRACKING_INSECURE_TLS"))));
    String experimentId =
        client
            .getExperimentByName(experimentName)
            .map(e -> e.getExperimentId())
            .orElseGet(() -> client.createExperiment(experimentName));
    CreateRun.Builder create =
        CreateRun.newBuilder()
            .setExperimentId(experimentId)
            .setRunName(runName)
            .setStartTime(System.currentTimeMillis());
    tags.forEach((k, v) -> create.addTags(RunTag.newBuilder().setKey(k).setValue(v)));
    run = client.createRun(create.build());
    Log.info("MLflow run " + run.getRunId() + ": " + runUrl());
    return run.getRunId();
  }

  @Override
  public void logParams(Map<String, String> params) {
    List<Param> batch = new ArrayList<>();
    for (Map.Entry<String, String> e : params.entrySet()) {
      String value = e.getValue();
      if (value.length() > MAX_PARAM_VALUE) {
        value = value.substring(0, MAX_PARAM_VALUE);
      }
      batch.add(Param.newBuilder().setKey(e.getKey()).setValue(value).build());
      if (batch.size() == MAX_PARAMS) {
        client.logBatch(run.getRunId(), List.of(), batch, List.of());
        batch = new ArrayList<>();
      }
    }
    if (!batch.isEmpty()) {
      client.logBatch(run.getRunId(), List.of(), batch, List.of());
    }
  }

  @Override
  public void setTags(Map<String, String> tags) {
    List<RunTag> batch =
        tags.entrySet().stream()
            .map(e -> RunTag.newBuilder().setKey(e.getKey()).setValue(e.getValue()).build())
            .toList();
    for (int i = 0; i < batch.size(); i += MAX_PARAMS) {
      client.logBatch(
          run.getRunId(),
          List.of(),
          List.of(),
          batch.subList(i, Math.min(batch.size(), i + MAX_PARAMS)));
    }
  }

  @Override
  public void logMetrics(Map<String, Double> metrics, long step) {
    long now = System.currentTimeMillis();
    List<Metric> batch = new ArrayList<>();
    metrics.forEach(
        (k, v) -> {
          if (v != null && !v.isNaN() && !v.isInfinite()) {
            batch.add(
                Metric.newBuilder().setKey(k).setValue(v).setStep(step).setTimestamp(now).build());
          }
        });
    sendMetrics(batch);
  }

  @Override
  public void logMetricHistory(String key, float[] values) {
    long now = System.currentTimeMillis();
    List<Metric> batch = new ArrayList<>();
    for (int i = 0; i < values.length; i++) {
      batch.add(
          Metric.newBuilder().setKey(key).setValue(values[i]).setStep(i).setTimestamp(now).build());
    }
    sendMetrics(batch);
  }

  private void sendMetrics(List<Metric> metrics) {
    for (int i = 0; i < metrics.size(); i += MAX_METRICS) {
      client.logBatch(
          run.getRunId(),
          metrics.subList(i, Math.min(metrics.size(), i + MAX_METRICS)),
          List.of(),
          List.of());
    }
  }

  @Override
  public void logArtifact(Path file, String artifactDir) {
    String relative =
        (artifactDir.isEmpty() ? "" : artifactDir + "/") + file.getFileName().toString();
    ArtifactPaths.check(relative);
    String root = run.getArtifactUri();
    try {
      if (root.startsWith("mlflow-artifacts:")) {
        uploadThroughProxy(root, relative, file);
      } else if (root.startsWith("file:") || root.startsWith("/")) {
        Path target =
            Path.of(URI.create(root.startsWith("/") ? "file://" + root : root)).resolve(relative);
        Files.createDirectories(target.getParent());
        Files.copy(file, target, StandardCopyOption.REPLACE_EXISTING);
      } else {
        Log.warn(
            "artifact root "
                + root
                + " is neither mlflow-artifacts: nor file:; falling back to"
                + " the MLflow client's CLI upload (needs the Python mlflow package)");
        client.logArtifact(
            run.getRunId(), file.toFile(), artifactDir.isEmpty() ? null : artifactDir);
      }
    } catch (IOException e) {
      throw new IllegalStateException(
          "Cannot log artifact " + relative + " to MLflow run " + run.getRunId() + ": " + e, e);
    }
  }

  private void uploadThroughProxy(String root, String relative, Path file) throws IOException {
    // mlflow-artifacts:/<exp>/<run>/artifacts -> PUT /api/2.0/mlflow-artifacts/artifacts/<...>
    String base = root.substring("mlflow-artifacts:".length());
    if (base.startsWith("//")) {
      base = base.substring(base.indexOf('/', 2));
    }
    StringBuilder path = new StringBuilder("/api/2.0/mlflow-artifacts/artifacts");
    for (String part : (stripSlash(base) + "/" + relative).split("/")) {
      if (!part.isEmpty()) {
        path.append('/')
            .append(URLEncoder.encode(part, StandardCharsets.UTF_8).replace("+", "%20"));
      }
    }
    try {
      HttpResponse<String> r =
          http.send(
              request(path.toString()).PUT(HttpRequest.BodyPublishers.ofFile(file)).build(),
              HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() / 100 != 2) {
        throw new IOException("HTTP " + r.statusCode() + ": " + r.body());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  private HttpRequest.Builder request(String path) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(uri + path)).timeout(timeout);
    String token = env.get("MLFLOW_TRACKING_TOKEN");
    String user = env.get("MLFLOW_TRACKING_USERNAME");
    if (token != null && !token.isEmpty()) {
      b.header("Authorization", "Bearer " + token);
    } else if (user != null && !user.isEmpty()) {
      String pass = env.getOrDefault("MLFLOW_TRACKING_PASSWORD", "");
      b.header(
          "Authorization",
          "Basic "
              + Base64.getEncoder()
                  .encodeToString((user + ":" + pass).getBytes(StandardCharsets.UTF_8)));
    }
    return b;
  }

  @Override
  public void finish(boolean succeeded) {
    if (client != null && run != null) {
      client.setTerminated(
          run.getRunId(),
          succeeded ? RunStatus.FINISHED : RunStatus.FAILED,
          System.currentTimeMillis());
    }
  }

  @Override
  public String runUrl() {
    return run == null
        ? ""
        : Secrets.redactUri(uri)
            + "/#/experiments/"
            + run.getExperimentId()
            + "/runs/"
            + run.getRunId();
  }

  @Override
  public void close() {
    if (client != null) {
      client.close();
    }
  }

  private static String stripSlash(String s) {
    String out = s == null ? "" : s.trim();
    while (out.endsWith("/")) {
      out = out.substring(0, out.length() - 1);
    }
    return out;
  }
}

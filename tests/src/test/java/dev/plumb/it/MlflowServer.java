package dev.plumb.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real MLflow tracking server for the tests, from the project's venv ({@code
 * cluster/local/python-env.sh}): SQLite backend store and proxied artifacts in a temp folder, on a
 * free port of 127.0.0.1. Started once per test JVM, stopped when the run ends.
 */
public final class MlflowServer implements ExtensionContext.Store.CloseableResource {

  private static MlflowServer instance;

  private final Process process;
  private final String uri;
  private final Path dir;
  private final List<String> artifactArgs;
  private final boolean mlflow3;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  private final ObjectMapper json = new ObjectMapper();

  private MlflowServer(
      Process process, String uri, Path dir, List<String> artifactArgs, boolean mlflow3) {
    this.process = process;
    this.uri = uri;
    this.dir = dir;
    this.artifactArgs = artifactArgs;
    this.mlflow3 = mlflow3;
  }

  /** The project root (the Maven reactor root). */
  public static Path root() {
    return Path.of(System.getProperty("plumb.root", "..")).toAbsolutePath().normalize();
  }

  /** The shared server, started on first use. */
  public static synchronized MlflowServer get(ExtensionContext context) throws Exception {
    if (instance == null) {
      instance = start();
      context
          .getRoot()
          .getStore(ExtensionContext.Namespace.GLOBAL)
          .put(MlflowServer.class.getName(), instance);
    }
    return instance;
  }

  private static MlflowServer start() throws Exception {
    Path dir = Files.createTempDirectory("plumb-mlflow-it");
    return launch(
        dir,
        freePort(),
        List.of(
            "--artifacts-destination", dir.resolve("artifacts").toString(), "--serve-artifacts"),
        false);
  }

  /**
   * A server of one's own (stopped by {@link #close()}), e.g. to stop it mid-run or to give it a
   * different artifact store. {@code artifactArgs} are the artifact options of {@code mlflow
   * server}; "{dir}" in them is replaced by the server's folder.
   */
  public static MlflowServer startOwn(List<String> artifactArgs) throws Exception {
    Path dir = Files.createTempDirectory("plumb-mlflow-own");
    return launch(
        dir,
        freePort(),
        artifactArgs.stream().map(a -> a.replace("{dir}", dir.toString())).toList(),
        false);
  }

  /**
   * A server of one's own from the current MLflow 3 ({@code cluster/local/python-env.sh mlflow3}),
   * with the same options as {@link #startOwn}; an empty list serves artifacts through the proxy.
   */
  public static MlflowServer startMlflow3(List<String> artifactArgs) throws Exception {
    Path dir = Files.createTempDirectory("plumb-mlflow3");
    List<String> args =
        artifactArgs.isEmpty()
            ? List.of("--artifacts-destination", "{dir}/artifacts", "--serve-artifacts")
            : artifactArgs;
    return launch(
        dir, freePort(), args.stream().map(a -> a.replace("{dir}", dir.toString())).toList(), true);
  }

  /** True for a server of MLflow 3. */
  public boolean isMlflow3() {
    return mlflow3;
  }

  /** Starts this server again on the same port and store (after {@link #close()}). */
  public MlflowServer restart() throws Exception {
    return launch(
        dir, Integer.parseInt(uri.substring(uri.lastIndexOf(':') + 1)), artifactArgs, mlflow3);
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static Path mlflowExecutable() throws Exception {
    return mlflowExecutable(false);
  }

  private static Path mlflowExecutable(boolean mlflow3) throws Exception {
    Path root = root();
    List<String> command = new java.util.ArrayList<>();
    command.add(root.resolve("cluster/local/python-env.sh").toString());
    if (mlflow3) {
      command.add("mlflow3");
    }
    Process setup =
        new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    String python = new String(setup.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!setup.waitFor(15, TimeUnit.MINUTES) || setup.exitValue() != 0) {
      throw new IllegalStateException(
          "Cannot set up the MLflow server venv: cluster/local/python-env.sh failed");
    }
    return Path.of(python.trim()).resolveSibling("mlflow");
  }

  /** The venv's python (MLflow, XGBoost and pandas installed). */
  public static Path python() throws Exception {
    return mlflowExecutable().resolveSibling("python");
  }

  /**
   * Runs a Python script ({@code python} with {@code args}, {@code env} added to the environment)
   * and returns its last line of output, parsed as JSON; fails with the script's stderr when it
   * exits non-zero or runs past 3 minutes.
   */
  public static JsonNode runPython(
      Path python, Path script, java.util.Map<String, String> env, String... args)
      throws Exception {
    List<String> command = new java.util.ArrayList<>(List.of(python.toString(), script.toString()));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().putAll(env);
    Process p = pb.start();
    java.util.concurrent.CompletableFuture<String> stderr =
        java.util.concurrent.CompletableFuture.supplyAsync(
            () -> {
              try {
                return new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
              } catch (IOException e) {
                return e.toString();
              }
            });
    String stdout = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    if (!p.waitFor(180, TimeUnit.SECONDS) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new AssertionError(script.getFileName() + " failed:\n" + stderr.get() + stdout);
    }
    return new ObjectMapper().readTree(stdout.substring(stdout.lastIndexOf('\n') + 1));
  }

  /** The MLflow 3 venv's python (the current MLflow 3 client, XGBoost and pandas). */
  public static Path python3() throws Exception {
    return mlflowExecutable(true).resolveSibling("python");
  }

  private static MlflowServer launch(Path dir, int port, List<String> artifactArgs, boolean mlflow3)
      throws Exception {
    Path mlflow = mlflowExecutable(mlflow3);
    List<String> command =
        new java.util.ArrayList<>(
            List.of(
                mlflow.toString(),
                "server",
                "--host",
                "127.0.0.1",
                "--port",
                String.valueOf(port),
                "--workers",
                "1",
                "--backend-store-uri",
                "sqlite:///" + dir.resolve("mlflow.db")));
    command.addAll(artifactArgs);
    ProcessBuilder builder = new ProcessBuilder(command);
    // MLflow 3's server also starts a job runner (huey consumers) that Plumb does not use.
    builder.environment().put("MLFLOW_SERVER_ENABLE_JOB_EXECUTION", "false");
    Process server =
        builder
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("server.log").toFile()))
            .start();
    MlflowServer s =
        new MlflowServer(server, "http://127.0.0.1:" + port, dir, artifactArgs, mlflow3);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
    while (System.nanoTime() < deadline) {
      if (!server.isAlive()) {
        break;
      }
      try {
        if (s.http
                .send(
                    HttpRequest.newBuilder(URI.create(s.uri + "/health")).GET().build(),
                    HttpResponse.BodyHandlers.ofString())
                .statusCode()
            == 200) {
          return s;
        }
      } catch (IOException e) {
        // not up yet
      }
      Thread.sleep(250);
    }
    s.close();
    throw new IllegalStateException(
        "Cannot start the MLflow server for the tests; its log:\n"
            + Files.readString(dir.resolve("server.log")));
  }

  public String uri() {
    return uri;
  }

  /** GET a REST endpoint of the server; fails on a non-200 answer. */
  public JsonNode get(String path, String... queryPairs) throws Exception {
    StringBuilder q = new StringBuilder();
    for (int i = 0; i < queryPairs.length; i += 2) {
      q.append(i == 0 ? "?" : "&")
          .append(queryPairs[i])
          .append('=')
          .append(URLEncoder.encode(queryPairs[i + 1], StandardCharsets.UTF_8));
    }
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(URI.create(uri + path + q)).GET().build(),
            HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IllegalStateException("GET " + path + q + " -> " + r.statusCode() + " " + r.body());
    }
    return json.readTree(r.body());
  }

  /** A REST list of {key, value} objects (params, tags) as a map. */
  public static java.util.Map<String, String> pairs(JsonNode list) {
    java.util.Map<String, String> out = new java.util.HashMap<>();
    if (list != null) {
      list.forEach(n -> out.put(n.get("key").asText(), n.get("value").asText()));
    }
    return out;
  }

  /** The raw bytes of a run's artifact, through the server. */
  public byte[] artifact(String runId, String path) throws Exception {
    HttpResponse<byte[]> r =
        http.send(
            HttpRequest.newBuilder(
                    URI.create(
                        uri
                            + "/get-artifact?run_id="
                            + runId
                            + "&path="
                            + URLEncoder.encode(path, StandardCharsets.UTF_8)))
                .GET()
                .build(),
            HttpResponse.BodyHandlers.ofByteArray());
    if (r.statusCode() != 200) {
      throw new IllegalStateException("artifact " + path + " -> HTTP " + r.statusCode());
    }
    return r.body();
  }

  @Override
  public void close() {
    process.descendants().forEach(ProcessHandle::destroy);
    process.destroy();
    try {
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The server's folder (SQLite store, artifacts, log). */
  public Path dir() {
    return dir;
  }

  /** POST JSON to a REST endpoint; fails on a non-200 answer. */
  public JsonNode post(String path, String jsonBody) throws Exception {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(URI.create(uri + path))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(jsonBody))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IllegalStateException("POST " + path + " -> " + r.statusCode() + " " + r.body());
    }
    return json.readTree(r.body());
  }

  /** Every artifact path of a run (recursively), through the REST API. */
  public List<String> artifactPaths(String runId) throws Exception {
    List<String> out = new java.util.ArrayList<>();
    java.util.ArrayDeque<String> dirs = new java.util.ArrayDeque<>(List.of(""));
    while (!dirs.isEmpty()) {
      String d = dirs.pop();
      JsonNode files =
          d.isEmpty()
              ? get("/api/2.0/mlflow/artifacts/list", "run_id", runId).get("files")
              : get("/api/2.0/mlflow/artifacts/list", "run_id", runId, "path", d).get("files");
      if (files != null) {
        for (JsonNode f : files) {
          if (f.path("is_dir").asBoolean()) {
            dirs.push(f.get("path").asText());
          } else {
            out.add(f.get("path").asText());
          }
        }
      }
    }
    return out;
  }
}

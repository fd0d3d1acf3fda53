package dev.plumb.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.plumb.jobs.Plumb;
import dev.plumb.jobs.tracking.MlflowTracker;
import dev.plumb.testing.SharedSpark;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * MLflow tracking against real servers: Databricks-style host + token auth, a {@code file:}
 * artifact root written through Hadoop FileSystem, a 4xx that fails at once, and a server stopped
 * mid-run and started again.
 */
@ExtendWith({SharedSpark.class, MlflowServerExtension.class})
class TrackingIT {

  /**
   * The server of the tests that use a shared one: the pinned MLflow 2.17.2 server here, an MLflow
   * 3 server in {@link TrackingMlflow3IT}, which runs every test of this class against it.
   */
  MlflowServer shared(MlflowServer pinned) throws Exception {
    return pinned;
  }

  /** A server of the test's own with these artifact options (see {@link MlflowServer#startOwn}). */
  MlflowServer own(List<String> artifactArgs) throws Exception {
    return MlflowServer.startOwn(artifactArgs);
  }

  @TempDir Path tmp;

  static Map<String, String> runOf(MlflowServer server, String runId, String part)
      throws Exception {
    return MlflowServer.pairs(
        server.get("/api/2.0/mlflow/runs/get", "run_id", runId).get("run").get("data").get(part));
  }

  @Test
  void databricksHostAndTokenTrackThroughTheRestApi(MlflowServer pinned) throws Exception {
    MlflowServer mlflow = shared(pinned);
    Path report = Files.writeString(tmp.resolve("report.json"), "{\"rows\": 3}");
    try (MlflowTracker tracker =
        new MlflowTracker(
            "databricks",
            "plumb-it-databricks",
            Duration.ofSeconds(10),
            Map.of("DATABRICKS_HOST", mlflow.uri(), "DATABRICKS_TOKEN", "dapi-it-token"))) {
      tracker.checkReachable();
      String runId = tracker.start("dbx", Map.of("plumb.job", "it"));
      tracker.logParams(Map.of("train.eta", "0.1"));
      tracker.logMetricHistory("validation-logloss", new float[] {0.5f, 0.4f, 0.35f});
      tracker.logArtifact(report.toString(), "reports");
      tracker.finish(true);
      assertThat(tracker.runUrl())
          .startsWith(mlflow.uri() + "/#mlflow/experiments/")
          .endsWith("/runs/" + runId);
      JsonNode run = mlflow.get("/api/2.0/mlflow/runs/get", "run_id", runId).get("run");
      assertThat(run.get("info").get("status").asText()).isEqualTo("FINISHED");
      assertThat(runOf(mlflow, runId, "params")).containsEntry("train.eta", "0.1");
      assertThat(runOf(mlflow, runId, "tags")).containsEntry("mlflow.runName", "dbx");
      JsonNode history =
          mlflow.get(
              "/api/2.0/mlflow/metrics/get-history",
              "run_id",
              runId,
              "metric_key",
              "validation-logloss");
      List<Double> values = new ArrayList<>();
      history.get("metrics").forEach(m -> values.add(m.get("value").asDouble()));
      assertThat(values).containsExactly(0.5, (double) 0.4f, (double) 0.35f);
      assertThat(new String(mlflow.artifact(runId, "reports/report.json"), StandardCharsets.UTF_8))
          .isEqualTo("{\"rows\": 3}");
    }
  }

  @Test
  void aClientErrorFailsAtOnceWithTheServersMessage(MlflowServer pinned) throws Exception {
    MlflowServer mlflow = shared(pinned);
    try (MlflowTracker tracker =
        new MlflowTracker(
            mlflow.uri(),
            "plumb-it-4xx",
            Duration.ofSeconds(10),
            Duration.ofSeconds(60),
            Map.of())) {
      String runId = tracker.start("conflict", Map.of());
      tracker.logParams(Map.of("train.eta", "0.1"));
      long start = System.nanoTime();
      assertThatThrownBy(() -> tracker.logParams(Map.of("train.eta", "0.2")))
          .hasMessageStartingWith("Cannot log to MLflow run " + runId + ": the MLflow server at ")
          .hasMessageContaining("answered HTTP 400: INVALID_PARAMETER_VALUE")
          .hasMessageContaining("Changing param values is not allowed");
      assertThat((System.nanoTime() - start) / 1e9).isLessThan(5.0); // no retries
      tracker.finish(false);
      assertThat(
              mlflow
                  .get("/api/2.0/mlflow/runs/get", "run_id", runId)
                  .get("run")
                  .get("info")
                  .get("status")
                  .asText())
          .isEqualTo("FAILED");
    }
  }

  @Test
  void aFileArtifactRootIsWrittenThroughHadoopFileSystem() throws Exception {
    MlflowServer server =
        own(
            List.of(
                "--default-artifact-root", "file:{dir}/file-artifacts", "--no-serve-artifacts"));
    try {
      Path report = Files.writeString(tmp.resolve("ingest-report.json"), "{\"rows_read\": 8}");
      Path model = Files.createDirectories(tmp.resolve("m"));
      Files.writeString(model.resolve("MLmodel"), "artifact_path: model\nflavors: {}\n");
      Files.write(model.resolve("model.ubj"), new byte[] {1, 2, 3});
      try (MlflowTracker tracker =
          new MlflowTracker(server.uri(), "plumb-it-file", Duration.ofSeconds(10), Map.of())) {
        String runId = tracker.start("file-store", Map.of());
        assertThat(Path.of(java.net.URI.create(tracker.artifactUri())).toString())
            .startsWith(server.dir().resolve("file-artifacts").toString());
        tracker.logArtifact(report.toString(), "ingest");
        tracker.logModel(model.toString(), "model");
        assertThatThrownBy(() -> tracker.logArtifact(report.toString(), "../../escape"))
            .hasMessageStartingWith("Cannot log artifact '../../escape/ingest-report.json': ");
        assertThatThrownBy(() -> tracker.logArtifact(report.toString(), "ok/%2e%2e/%2E%2E/escape"))
            .hasMessageContaining("no encoded traversal");
        tracker.finish(true);

        Path root = Path.of(java.net.URI.create(tracker.artifactUri()));
        assertThat(root.resolve("ingest/ingest-report.json")).hasContent("{\"rows_read\": 8}");
        assertThat(Files.readAllBytes(root.resolve("model/model.ubj"))).containsExactly(1, 2, 3);
        try (Stream<Path> all = Files.walk(server.dir())) {
          List<String> names = all.map(p -> p.getFileName().toString()).toList();
          assertThat(names).noneMatch(n -> n.endsWith(".crc")).doesNotContain("escape");
        }
        assertThat(server.artifactPaths(runId))
            .containsExactlyInAnyOrder(
                "ingest/ingest-report.json", "model/MLmodel", "model/model.ubj");
        assertThat(runOf(server, runId, "tags")).containsKey("mlflow.log-model.history");
      }
    } finally {
      server.close();
    }
  }

  @Test
  void aServerLostMidRunKeepsTheOutputsAndEndsTheRunFailed() throws Exception {
    MlflowServer server =
        own(List.of("--artifacts-destination", "{dir}/artifacts", "--serve-artifacts"));
    MlflowServer[] current = {server};
    try {
      Path work = tmp.resolve("work");
      List<String> args =
          PipelineIT.demoArgs(
              "demo",
              work,
              "demo.rows=8000",
              "demo.days=2",
              "train.num_round=20",
              "tracking.experiment=plumb-it-lost",
              "tracking.timeout_seconds=3",
              "tracking.retry_budget_seconds=8");
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      CompletableFuture<Integer> job =
          CompletableFuture.supplyAsync(
              () ->
                  Plumb.run(
                      args.toArray(new String[0]),
                      Map.of("MLFLOW_TRACKING_URI", server.uri()),
                      new PrintStream(out, true, StandardCharsets.UTF_8),
                      new PrintStream(err, true, StandardCharsets.UTF_8)));
      // The run exists once ingest writes the clean table: stop the server then ...
      awaitPath(job, () -> Files.isDirectory(work.resolve("tables/clean/_delta_log")));
      server.close();
      // ... and start it again (same port, same store) once the features stage is done, which is
      // after the ingest stage's logging ran out of retries.
      awaitPath(job, () -> anyManifest(work.resolve("features")));
      current[0] = server.restart();
      int code = job.get(5, TimeUnit.MINUTES);
      String errText = err.toString(StandardCharsets.UTF_8);
      assertThat(code).as(errText).isEqualTo(1);

      JsonNode runs =
          current[0].post(
              "/api/2.0/mlflow/runs/search",
              "{\"experiment_ids\": [\""
                  + current[0]
                      .get(
                          "/api/2.0/mlflow/experiments/get-by-name",
                          "experiment_name",
                          "plumb-it-lost")
                      .get("experiment")
                      .get("experiment_id")
                      .asText()
                  + "\"]}");
      assertThat(runs.get("runs")).hasSize(1);
      JsonNode info = runs.get("runs").get(0).get("info");
      String runId = info.get("run_id").asText();
      assertThat(info.get("status").asText()).isEqualTo("FAILED");
      assertThat(info.get("end_time").asLong()).isPositive();

      assertThat(errText)
          .contains("Cannot complete MLflow run " + runId)
          .contains("the tracking server at " + server.uri() + " was lost mid-run")
          .contains("Not logged: ")
          .contains("artifact model/model.ubj")
          .contains("artifact ingest/ingest-report.json")
          .contains("dataset inputs input")
          .contains("The run was marked FAILED.")
          .contains("files on disk are kept");
      // The outputs are kept: Delta tables, the feature set, the model and its MLflow folder.
      assertThat(work.resolve("tables/clean/_delta_log")).isDirectory();
      assertThat(work.resolve("tables/quarantine/_delta_log")).isDirectory();
      Path modelDir;
      try (Stream<Path> dirs = Files.list(work.resolve("models"))) {
        modelDir = dirs.filter(Files::isDirectory).findFirst().orElseThrow();
      }
      assertThat(modelDir.resolve("model.ubj")).isNotEmptyFile();
      assertThat(modelDir.resolve("mlflow-model/MLmodel")).content().contains("run_id: " + runId);
    } finally {
      current[0].close();
    }
  }

  private static boolean anyManifest(Path store) {
    if (!Files.isDirectory(store)) {
      return false;
    }
    try (Stream<Path> files = Files.walk(store)) {
      return files.anyMatch(p -> p.getFileName().toString().equals("manifest.json"));
    } catch (java.io.IOException | java.io.UncheckedIOException e) {
      return false;
    }
  }

  private static void awaitPath(
      CompletableFuture<Integer> job, java.util.function.BooleanSupplier ready) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
    while (!ready.getAsBoolean()) {
      if (job.isDone()) {
        throw new AssertionError("the job ended before the fault was injected: exit " + job.get());
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for the job");
      }
      Thread.sleep(50);
    }
  }
}

package dev.plumb.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.plumb.jobs.Plumb;
import dev.plumb.testing.SharedSpark;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole pipeline, in process, against a real MLflow server: sharded Parquet in, a tracked model
 * out, checked through MLflow's REST API.
 */
@ExtendWith({SharedSpark.class, MlflowServerExtension.class})
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PipelineIT {

  private static final Pattern RUN_URL = Pattern.compile("/#/experiments/(\\d+)/runs/([0-9a-f]+)");

  @TempDir static Path work;
  static MlflowServer mlflow;

  @BeforeAll
  static void server(MlflowServer server) {
    mlflow = server;
  }

  record Outcome(int code, String out, String err) {}

  static Outcome plumb(String job, String... extra) {
    List<String> args = new ArrayList<>();
    args.add(job);
    args.add("--conf");
    args.add(MlflowServer.root().resolve("conf/local.yaml").toString());
    for (String s :
        List.of(
            "work_dir=" + work,
            "ingest.input=" + work.resolve("demo-data"),
            "ingest.contract=" + MlflowServer.root().resolve("conf/contracts/demo.yaml"),
            "demo.rows=30000",
            "demo.days=5",
            "train.num_round=40",
            "tracking.experiment=plumb-it")) {
      args.add("--set");
      args.add(s);
    }
    args.addAll(List.of(extra));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Map<String, String> env = new HashMap<>();
    env.put("MLFLOW_TRACKING_URI", mlflow.uri());
    int code =
        Plumb.run(
            args.toArray(new String[0]),
            env,
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Outcome(
        code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  static String runId(Outcome o) {
    Matcher m = RUN_URL.matcher(o.out());
    assertThat(m.find()).as("run URL in:\n" + o.out() + o.err()).isTrue();
    return m.group(2);
  }

  @Test
  @Order(1)
  void demoRunsThePipelineAndTracksParamsMetricsAndTheModel(SparkSession spark) throws Exception {
    Outcome o = plumb("demo");
    assertThat(o.code()).as(o.err()).isZero();
    assertThat(o.out()).contains("ROC-AUC").contains("(built)").contains(mlflow.uri());
    String runId = runId(o);

    JsonNode run = mlflow.get("/api/2.0/mlflow/runs/get", "run_id", runId).get("run");
    assertThat(run.get("info").get("status").asText()).isEqualTo("FINISHED");
    Map<String, String> params = MlflowServer.pairs(run.get("data").get("params"));
    assertThat(params).containsEntry("train.num_round", "40").containsEntry("demo.rows", "30000");
    Map<String, String> tags = MlflowServer.pairs(run.get("data").get("tags"));
    assertThat(tags.get("plumb.feature_set_version")).matches("[0-9a-f]{16}");
    assertThat(tags.get("plumb.data_fingerprint")).matches("[0-9a-f]{64}");
    assertThat(tags).containsEntry("plumb.spark_version", spark.version());

    Map<String, Double> metrics = new HashMap<>();
    run.get("data")
        .get("metrics")
        .forEach(m -> metrics.put(m.get("key").asText(), m.get("value").asDouble()));
    // 30,000 generated rows + 8 planted dirty rows, 7 of which break the contract.
    assertThat(metrics.get("ingest.rows_read")).isEqualTo(30_008.0);
    assertThat(metrics.get("ingest.rows_quarantined")).isEqualTo(7.0);
    assertThat(metrics.get("ingest.rows_clean")).isEqualTo(30_001.0);
    assertThat(metrics.get("test.roc_auc")).isBetween(0.7, 1.0);
    assertThat(metrics.get("test.pr_auc")).isBetween(0.05, 1.0);
    assertThat(metrics.get("test.log_loss")).isBetween(0.0, 0.4);

    JsonNode history =
        mlflow.get(
            "/api/2.0/mlflow/metrics/get-history",
            "run_id",
            runId,
            "metric_key",
            "validation-logloss");
    int rounds = metrics.get("train.rounds_trained").intValue();
    assertThat(history.get("metrics")).hasSize(rounds);

    JsonNode files =
        mlflow.get("/api/2.0/mlflow/artifacts/list", "run_id", runId, "path", "model").get("files");
    List<String> names = new ArrayList<>();
    files.forEach(f -> names.add(f.get("path").asText()));
    assertThat(names).contains("model/model.ubj", "model/MLmodel", "model/transform.json");
    Path local =
        Files.list(work.resolve("models"))
            .filter(Files::isDirectory)
            .findFirst()
            .orElseThrow()
            .resolve("model.ubj");
    assertThat(mlflow.artifact(runId, "model/model.ubj")).isEqualTo(Files.readAllBytes(local));
    String html =
        new String(mlflow.artifact(runId, "evaluation/evaluation.html"), StandardCharsets.UTF_8);
    assertThat(html).contains("<svg").doesNotContain("<script");
    assertThat(mlflow.artifact(runId, "ingest/ingest-report.json")).isNotEmpty();
  }

  @Test
  @Order(2)
  void aSecondRunOnTheSameDataReusesTheFeatureSet() throws Exception {
    Outcome o = plumb("pipeline", "--set", "train.eta=0.2");
    assertThat(o.code()).as(o.err()).isZero();
    assertThat(o.out()).contains("reused from the store");
    Map<String, String> tags =
        MlflowServer.pairs(
            mlflow
                .get("/api/2.0/mlflow/runs/get", "run_id", runId(o))
                .get("run")
                .get("data")
                .get("tags"));
    assertThat(tags).containsEntry("plumb.feature_set_built", "false");
  }

  @Test
  @Order(3)
  void trackingNoneRunsWithoutMlflowAndSaysSo() {
    Outcome o = plumb("evaluate", "--tracking", "none");
    assertThat(o.code()).as(o.err()).isZero();
    assertThat(o.out()).contains("(tracking off)").contains("ROC-AUC");
  }
}

package dev.plumb.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.plumb.jobs.Plumb;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Every tracking test of {@link TrackingIT} against the current MLflow 3 server ({@code
 * cluster/local/python-env.sh mlflow3}), and the MLflow 3 logged model: a demo run's model is a
 * LoggedModel of the run that the MLflow 3 client loads by {@code runs:/} and by {@code
 * models:/m-<id>}, scoring raw rows as {@code plumb score} does.
 */
class TrackingMlflow3IT extends TrackingIT {

  private static MlflowServer server3;

  @Override
  synchronized MlflowServer shared(MlflowServer pinned) throws Exception {
    if (server3 == null) {
      server3 = MlflowServer.startMlflow3(List.of());
    }
    return server3;
  }

  @Override
  MlflowServer own(List<String> artifactArgs) throws Exception {
    return MlflowServer.startMlflow3(artifactArgs);
  }

  @AfterAll
  static void stop() {
    if (server3 != null) {
      server3.close();
    }
  }

  private static String run(MlflowServer server, Path work, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code =
        Plumb.run(
            args,
            Map.of("MLFLOW_TRACKING_URI", server.uri()),
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    String text = out.toString(StandardCharsets.UTF_8) + err.toString(StandardCharsets.UTF_8);
    assertThat(code).as(text).isZero();
    return text;
  }

  @Test
  void theModelIsALoggedModelThatMlflow3LoadsByRunAndByModelId(SparkSession spark)
      throws Exception {
    MlflowServer mlflow = shared(null);
    assertThat(mlflow.isMlflow3()).isTrue();
    Path work = Files.createDirectories(tmp.resolve("work3"));
    String demo =
        run(
            mlflow,
            work,
            PipelineIT.demoArgs(
                    "demo",
                    work,
                    "demo.rows=8000",
                    "demo.days=2",
                    "train.num_round=20",
                    "tracking.experiment=plumb-it-mlflow3",
                    "tracking.register_model=plumb-it-mlflow3")
                .toArray(new String[0]));
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("/runs/([0-9a-f]{32})").matcher(demo);
    assertThat(m.find()).as(demo).isTrue();
    String runId = m.group(1);
    JsonNode run = mlflow.get("/api/2.0/mlflow/runs/get", "run_id", runId).get("run");
    String experiment = run.get("info").get("experiment_id").asText();

    // The logged model: READY, named "model", its source the run, and the run's output.
    JsonNode found =
        mlflow.post(
            "/api/2.0/mlflow/logged-models/search",
            "{\"experiment_ids\": [\""
                + experiment
                + "\"], \"filter\": \"source_run_id = '"
                + runId
                + "'\"}");
    assertThat(found.get("models")).hasSize(1);
    JsonNode info = found.get("models").get(0).get("info");
    String modelId = info.get("model_id").asText();
    assertThat(modelId).startsWith("m-");
    assertThat(info.get("name").asText()).isEqualTo("model");
    assertThat(info.get("status").asText()).isEqualTo("LOGGED_MODEL_READY");
    assertThat(run.get("outputs").get("model_outputs").get(0).get("model_id").asText())
        .isEqualTo(modelId);
    assertThat(MlflowServer.pairs(run.get("data").get("tags")))
        .containsKey("plumb.registered_model_version");

    // plumb score takes the model by run from the MLflow 3 server.
    Path clean = work.resolve("tables/clean");
    Path scored = work.resolve("scored");
    List<String> scoreArgs =
        new ArrayList<>(PipelineIT.demoArgs("score", work, "tracking.experiment=plumb-it-mlflow3"));
    scoreArgs.addAll(
        List.of(
            "--model",
            "runs:/" + runId + "/model",
            "--input",
            clean.toString(),
            "--output",
            scored.toString()));
    run(mlflow, work, scoreArgs.toArray(new String[0]));
    Map<Long, Double> plumbScores = new HashMap<>();
    spark
        .read()
        .format("delta")
        .load(scored.toString())
        .select("id", "probability")
        .collectAsList()
        .forEach(r -> plumbScores.put(r.getLong(0), r.getDouble(1)));

    // The MLflow 3 client: both URIs load the raw-row model; both score the clean rows as plumb
    // score did.
    Path script = tmp.resolve("load3.py");
    Files.writeString(
        script,
        String.join(
            "\n",
            "import glob, json, sys",
            "import mlflow, mlflow.pyfunc, pandas as pd",
            "run_id, model_id, rows = sys.argv[1], sys.argv[2], sys.argv[3]",
            "df = pd.concat(pd.read_parquet(f) for f in sorted(glob.glob(rows + '/*.parquet')))",
            "df = df.drop(columns=['label'])  # all rows: time windows see the rows of the call",
            "by_run = mlflow.pyfunc.load_model(f'runs:/{run_id}/model')",
            "by_id = mlflow.pyfunc.load_model(f'models:/{model_id}')",
            "logged = mlflow.MlflowClient().get_logged_model(model_id)",
            "print(json.dumps({",
            "  'version': mlflow.__version__,",
            "  'ids': [int(i) for i in df['id']],",
            "  'by_run': [float(p) for p in by_run.predict(df)['probability']],",
            "  'by_id': [float(p) for p in by_id.predict(df)['probability']],",
            "  'model_id': by_id.metadata.model_id,",
            "  'source_run_id': logged.source_run_id,",
            "}))",
            ""));
    JsonNode py =
        MlflowServer.runPython(
            MlflowServer.python3(),
            script,
            Map.of("MLFLOW_TRACKING_URI", mlflow.uri()),
            runId,
            modelId,
            clean.toString());
    assertThat(py.get("version").asText()).startsWith("3.");
    assertThat(py.get("model_id").asText()).isEqualTo(modelId);
    assertThat(py.get("source_run_id").asText()).isEqualTo(runId);
    assertThat(py.get("ids").size()).isEqualTo(plumbScores.size()).isGreaterThan(7000);
    for (int i = 0; i < py.get("ids").size(); i++) {
      long id = py.get("ids").get(i).asLong();
      double expected = plumbScores.get(id);
      assertThat(py.get("by_run").get(i).asDouble())
          .as("row " + id)
          .isCloseTo(expected, Offset.offset(1e-6));
      assertThat(py.get("by_id").get(i).asDouble())
          .as("row " + id)
          .isCloseTo(expected, Offset.offset(1e-6));
    }
  }
}

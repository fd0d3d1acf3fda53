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
import java.util.LinkedHashMap;
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

  /** Planted in the config and the environment; must appear in no param, tag, artifact or log. */
  static final String CONFIG_SECRET = "plmb-CONFIG-s3cr3t-7d1e";

  static final String TOKEN_SECRET = "plmb-TOKEN-s3cr3t-90ab";

  @TempDir static Path work;
  static MlflowServer mlflow;
  static String demoRunId;
  static Outcome demoOutcome;
  static final LogCapture LOGS = new LogCapture();

  @BeforeAll
  static void server(MlflowServer server) {
    mlflow = server;
  }

  record Outcome(int code, String out, String err) {}

  static Outcome plumb(String job, String... extra) {
    List<String> args =
        demoArgs(
            job,
            work,
            "demo.rows=30000",
            "demo.days=5",
            "train.num_round=40",
            "tracking.experiment=plumb-it");
    args.addAll(List.of(extra));
    Map<String, String> env = new HashMap<>();
    env.put("MLFLOW_TRACKING_URI", mlflow.uri());
    // The local server has no auth: the token is sent and ignored, and must leak nowhere.
    env.put("MLFLOW_TRACKING_TOKEN", TOKEN_SECRET);
    return run(args, env);
  }

  /** Runs a job in process, as the ITs do: its exit code, standard output and error. */
  static Outcome run(List<String> args, Map<String, String> env) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code =
        Plumb.run(
            args.toArray(new String[0]),
            env,
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Outcome(
        code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  /**
   * Points {@code features.spec} (when this build has it) at the example spec by absolute path, as
   * the tests do not run from the project root.
   */
  /**
   * A job on the demo data under {@code work} with the shipped local config: its work dir, input
   * and contract, then {@code sets} as {@code --set} overrides.
   */
  static List<String> demoArgs(String job, Path work, String... sets) {
    List<String> args = new ArrayList<>();
    args.add(job);
    args.add("--conf");
    args.add(MlflowServer.root().resolve("conf/local.yaml").toString());
    List<String> all = new ArrayList<>();
    all.add("work_dir=" + work);
    all.add("ingest.input=" + work.resolve("demo-data"));
    all.add("ingest.contract=" + MlflowServer.root().resolve("conf/contracts/demo.yaml"));
    all.addAll(List.of(sets));
    for (String s : all) {
      args.add("--set");
      args.add(s);
    }
    return args;
  }

  static String runId(Outcome o) {
    Matcher m = RUN_URL.matcher(o.out());
    assertThat(m.find()).as("run URL in:\n" + o.out() + o.err()).isTrue();
    return m.group(2);
  }

  @Test
  @Order(1)
  void demoRunsThePipelineAndTracksParamsMetricsAndTheModel(SparkSession spark) throws Exception {
    Outcome o;
    try (LogCapture.Session capture = LOGS.start()) {
      o =
          plumb(
              "demo",
              "--set",
              "tracking.register_model=plumb-it-model",
              "--set",
              "tracking.model_tags=team=risk,stage=candidate",
              "--set",
              "spark.conf.spark.hadoop.fs.s3a.secret.key=" + CONFIG_SECRET);
    }
    demoOutcome = o;
    assertThat(o.code()).as(o.err()).isZero();
    assertThat(o.out()).contains("ROC-AUC").contains("(built)").contains(mlflow.uri());
    // The train stage says where its time went, part by part, in the order the parts ran.
    String n = "=[0-9.E-]+";
    assertThat(LOGS.text())
        .containsPattern(
            "train: seconds by part \\{read_and_preflight"
                + n
                + ", xgboost"
                + n
                + ", operating_point"
                + n
                + ", write"
                + n
                + ", reference"
                + n
                + ", publish"
                + n
                + ", total"
                + n
                + "\\}");
    String runId = runId(o);
    demoRunId = runId;

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
    assertThat(metrics.get("test.average_precision")).isBetween(0.05, 1.0);
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
    assertThat(names)
        .contains(
            "model/input_example.json",
            "model/conda.yaml",
            "model/python_env.yaml",
            "model/requirements.txt",
            "model/model.json");
    // The logged booster is the local MLflow model folder's (cut to the best iteration).
    Path local =
        Files.list(work.resolve("models"))
            .filter(Files::isDirectory)
            .findFirst()
            .orElseThrow()
            .resolve("mlflow-model/model.ubj");
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

  @Test
  @Order(7)
  void fastModeStoresItsSampleWithTheEvaluationOutputsAndReusesIt() throws Exception {
    Outcome first = plumb("evaluate", "--tracking", "none", "--set", "evaluate.mode=fast");
    assertThat(first.code()).as(first.err()).isZero();
    List<Path> stored = storedSamples();
    assertThat(stored).as("one stored sample").hasSize(1);
    // With the evaluation's outputs, never inside the immutable feature set.
    assertThat(stored.get(0).toString()).contains("/eval-samples/demo/");
    assertThat(stored.get(0).startsWith(work.resolve("features"))).isFalse();
    java.nio.file.attribute.FileTime written = Files.getLastModifiedTime(stored.get(0));
    Outcome second = plumb("evaluate", "--tracking", "none", "--set", "evaluate.mode=fast");
    assertThat(second.code()).as(second.err()).isZero();
    // Reused, not drawn again; the same rows give the same headline.
    assertThat(storedSamples()).isEqualTo(stored);
    assertThat(Files.getLastModifiedTime(stored.get(0))).isEqualTo(written);
    assertThat(metricsLine(second.out())).isEqualTo(metricsLine(first.out())).contains("fast mode");
  }

  private static List<Path> storedSamples() throws Exception {
    try (java.util.stream.Stream<Path> files = Files.walk(work)) {
      return files
          .filter(p -> p.getFileName().toString().equals("sample.json"))
          .filter(
              p ->
                  p.getParent()
                      .getParent()
                      .getParent()
                      .getParent()
                      .getFileName()
                      .toString()
                      .equals("eval-samples"))
          .sorted()
          .toList();
    }
  }

  private static String metricsLine(String output) {
    return output
        .lines()
        .filter(l -> l.contains("test metrics"))
        .findFirst()
        .orElse("no metrics line in: " + output);
  }

  static Map<String, String> tagsOf(String runId) throws Exception {
    return MlflowServer.pairs(
        mlflow.get("/api/2.0/mlflow/runs/get", "run_id", runId).get("run").get("data").get("tags"));
  }

  @Test
  @Order(4)
  void theRunHasSourceTagsDatasetInputsAndARegisteredModelVersion() throws Exception {
    JsonNode run = mlflow.get("/api/2.0/mlflow/runs/get", "run_id", demoRunId).get("run");
    Map<String, String> tags = MlflowServer.pairs(run.get("data").get("tags"));
    assertThat(tags)
        .containsEntry("mlflow.source.type", "JOB")
        .containsEntry("mlflow.source.name", "dev.plumb.jobs.Plumb")
        .containsEntry("mlflow.runName", "plumb-demo")
        .containsEntry("mlflow.user", System.getProperty("user.name"))
        .containsEntry("plumb.device", "cpu")
        .containsEntry("plumb.registered_model", "plumb-it-model")
        .containsKeys("plumb.contract_hash", "plumb.xgboost_version", "plumb.delta_version");
    assertThat(tags.get("mlflow.source.git.commit")).matches("[0-9a-f]{40}");
    assertThat(tags.get("plumb.git.dirty")).isIn("true", "false");
    JsonNode history = YAML.readTree(tags.get("mlflow.log-model.history"));
    assertThat(history.get(0).get("artifact_path").asText()).isEqualTo("model");
    assertThat(history.get(0).get("flavors").has("python_function")).isTrue();

    // Dataset inputs: the raw input (digest = its content fingerprint) and the feature set.
    Map<String, JsonNode> inputs = new HashMap<>();
    run.get("inputs")
        .get("dataset_inputs")
        .forEach(d -> inputs.put(d.get("dataset").get("name").asText(), d));
    assertThat(inputs).hasSize(2).containsKey("input");
    String setName =
        inputs.keySet().stream()
            .filter(n -> n.startsWith("feature-set "))
            .findFirst()
            .orElseThrow();
    JsonNode raw = inputs.get("input").get("dataset");
    String fingerprint = tags.get("plumb.data_fingerprint");
    assertThat(raw.get("digest").asText()).isEqualTo(fingerprint.substring(0, 36));
    assertThat(raw.get("source_type").asText()).isEqualTo("local");
    assertThat(YAML.readTree(raw.get("source").asText()).get("uri").asText())
        .isEqualTo(work.resolve("demo-data").toString());
    JsonNode profile = YAML.readTree(raw.get("profile").asText());
    assertThat(profile.get("fingerprint").asText()).isEqualTo(fingerprint);
    assertThat(profile.get("rows_read").asLong()).isEqualTo(30_008L);
    assertThat(MlflowServer.pairs(inputs.get("input").get("tags")))
        .containsEntry("mlflow.data.context", "ingest");
    JsonNode set = inputs.get(setName).get("dataset");
    assertThat(set.get("digest").asText()).isEqualTo(tags.get("plumb.feature_set_version"));
    assertThat(set.get("source_type").asText()).isEqualTo("delta_table");

    // The Model Registry: a version from this run, with the configured tags.
    JsonNode version =
        mlflow
            .get(
                "/api/2.0/mlflow/model-versions/get",
                "name",
                "plumb-it-model",
                "version",
                tags.get("plumb.registered_model_version"))
            .get("model_version");
    assertThat(version.get("run_id").asText()).isEqualTo(demoRunId);
    assertThat(version.get("source").asText()).endsWith("/" + demoRunId + "/artifacts/model");
    assertThat(MlflowServer.pairs(version.get("tags")))
        .containsEntry("team", "risk")
        .containsEntry("stage", "candidate");

    // The MLmodel file: both flavors, environment files, signature and input example.
    JsonNode mlmodel = YAML.readTree(mlflow.artifact(demoRunId, "model/MLmodel"));
    JsonNode xgb = mlmodel.get("flavors").get("xgboost");
    assertThat(xgb.get("data").asText()).isEqualTo("model.ubj");
    assertThat(xgb.get("model_format").asText()).isEqualTo("ubj");
    assertThat(xgb.get("model_class").asText()).isEqualTo("xgboost.core.Booster");
    assertThat(xgb.get("xgb_version").asText()).isEqualTo("3.2.0");
    JsonNode pyfunc = mlmodel.get("flavors").get("python_function");
    assertThat(pyfunc.get("loader_module").asText()).isEqualTo("mlflow.pyfunc.loaders.code_model");
    assertThat(pyfunc.get("model_code_path").asText()).isEqualTo("plumb_model.py");
    assertThat(pyfunc.get("env").get("virtualenv").asText()).isEqualTo("python_env.yaml");
    assertThat(mlmodel.get("run_id").asText()).isEqualTo(demoRunId);
    // The signature is on the raw rows: the feature set's input columns, key and label optional.
    JsonNode signature = YAML.readTree(mlmodel.get("signature").get("inputs").asText());
    Map<String, String> types = new LinkedHashMap<>();
    signature.forEach(c -> types.put(c.get("name").asText(), c.get("type").asText()));
    assertThat(types)
        .containsEntry("amount", "double")
        .containsEntry("age", "long")
        .containsEntry("tenure_days", "double")
        .containsEntry("country", "string")
        .containsEntry("event_date", "datetime");
    JsonNode meta = YAML.readTree(localModelDir(demoRunId).resolve("model.json").toFile());
    assertThat(types.keySet()).doesNotContainAnyElementsOf(List.of("country_txn_7d"));
    assertThat(toList(meta.get("feature_names"))).contains("country_txn_7d");
    assertThat(mlmodel.get("saved_input_example_info").get("serving_input_path").asText())
        .isEqualTo("serving_input_example.json");
    assertThat(
            new String(
                mlflow.artifact(demoRunId, "model/requirements.txt"), StandardCharsets.UTF_8))
        .contains("mlflow==2.17.2")
        .contains("xgboost==3.2.0");
  }

  @Test
  @Order(5)
  void pythonMlflowLoadsTheLoggedModelAndScoresRawRowsAsPlumbScoreDoes(SparkSession spark)
      throws Exception {
    // Raw rows as a user has them: the clean table's columns, with unseen countries, nulls in the
    // nullable columns and one null amount (non-nullable: unscorable).
    Path rawRows = work.resolve("raw-rows");
    spark
        .read()
        .format("delta")
        .load(work.resolve("tables/clean").toString())
        .orderBy("id")
        .limit(400)
        .selectExpr(
            "id",
            "CASE WHEN id % 10 = 3 THEN NULL ELSE amount END AS amount",
            "age",
            "CASE WHEN id % 10 = 1 THEN NULL ELSE tenure_days END AS tenure_days",
            "num_txn_30d",
            "CASE WHEN id % 10 = 0 THEN 'ZZ' WHEN id % 10 = 2 THEN NULL ELSE country END"
                + " AS country",
            "channel",
            "event_date")
        .coalesce(1)
        .write()
        .parquet(rawRows.toString());
    Path scoredRaw = work.resolve("scored-raw");
    Outcome o =
        plumb(
            "score",
            "--model",
            "runs:/" + demoRunId + "/model",
            "--input",
            rawRows.toString(),
            "--output",
            scoredRaw.toString());
    assertThat(o.code()).as(o.err()).isZero();
    assertThat(o.out()).contains("score: 400 rows read = ");
    Map<Long, Double> plumbScores = new HashMap<>();
    spark
        .read()
        .format("delta")
        .load(scoredRaw.toString())
        .select("id", "probability")
        .collectAsList()
        .forEach(r -> plumbScores.put(r.getLong(0), r.getDouble(1)));

    Path script = work.resolve("load_model.py");
    Files.writeString(
        script,
        String.join(
            "\n",
            "import json, math, os, sys",
            "import mlflow.pyfunc, mlflow.xgboost, pandas as pd",
            "run_id, rows = sys.argv[1], sys.argv[2]",
            "pyfunc = mlflow.pyfunc.load_model(f'runs:/{run_id}/model')",
            "booster = mlflow.xgboost.load_model(f'runs:/{run_id}/model')",
            "df = pd.read_parquet(rows)",
            "out = pyfunc.predict(df)",
            "local = mlflow.artifacts.download_artifacts(f'runs:/{run_id}/model')",
            "print(json.dumps({",
            "  'ids': [int(i) for i in df['id']],",
            "  'probability': [None if math.isnan(p) else float(p) for p in out['probability']],",
            "  'reasons': list(out['reasons']),",
            "  'class': type(booster).__name__,",
            "  'inputs': pyfunc.metadata.get_input_schema().input_names(),",
            "  'serving_example': os.path.isfile(os.path.join(local,"
                + " 'serving_input_example.json')),",
            "  'files': sorted(os.listdir(local)),",
            "}))",
            ""));
    JsonNode py =
        MlflowServer.runPython(
            MlflowServer.python(),
            script,
            Map.of("MLFLOW_TRACKING_URI", mlflow.uri()),
            demoRunId,
            rawRows.toString());
    assertThat(py.get("class").asText()).isEqualTo("Booster");
    assertThat(py.get("serving_example").asBoolean()).isTrue();
    assertThat(toList(py.get("files")))
        .contains("plumb_model.py", "transform.json", "raw_columns.json", "input_example.json")
        .noneMatch(f -> f.endsWith(".pkl"));
    assertThat(toList(py.get("inputs")))
        .containsExactly(
            "id",
            "event_date",
            "amount",
            "age",
            "tenure_days",
            "num_txn_30d",
            "country",
            "channel",
            "label");

    int scored = 0;
    int unscorable = 0;
    assertThat(py.get("ids").size()).isEqualTo(400);
    for (int i = 0; i < py.get("ids").size(); i++) {
      long id = py.get("ids").get(i).asLong();
      JsonNode prob = py.get("probability").get(i);
      if (id % 10 == 3) {
        assertThat(prob.isNull()).as("row " + id).isTrue();
        assertThat(py.get("reasons").get(i).asText()).isEqualTo("null:amount");
        assertThat(plumbScores).doesNotContainKey(id);
        unscorable++;
        continue;
      }
      assertThat(prob.asDouble())
          .as("row " + id)
          .isCloseTo(plumbScores.get(id), org.assertj.core.data.Offset.offset(1e-6));
      scored++;
    }
    assertThat(unscorable).isGreaterThan(30);
    assertThat(scored).isEqualTo(400 - unscorable).isEqualTo(plumbScores.size());
    assertThat(o.out())
        .contains("score: 400 rows read = " + scored + " scored + " + unscorable + " quarantined");
  }

  private static List<String> toList(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }

  /** The trained model folder whose MLflow model was logged to {@code runId}. */
  private static Path localModelDir(String runId) throws Exception {
    try (java.util.stream.Stream<Path> dirs = Files.list(work.resolve("models"))) {
      return dirs.filter(d -> Files.isRegularFile(d.resolve("mlflow-model/MLmodel")))
          .filter(
              d -> {
                try {
                  return Files.readString(d.resolve("mlflow-model/MLmodel"))
                      .contains("run_id: " + runId);
                } catch (java.io.IOException e) {
                  return false;
                }
              })
          .findFirst()
          .orElseThrow();
    }
  }

  @Test
  @Order(6)
  void secretsPlantedInTheConfigAndEnvironmentAppearNowhere() throws Exception {
    JsonNode run = mlflow.get("/api/2.0/mlflow/runs/get", "run_id", demoRunId).get("run");
    Map<String, String> params = MlflowServer.pairs(run.get("data").get("params"));
    // The planted key was resolved (so the test can fail) and its value redacted.
    assertThat(params).containsEntry("spark.conf.spark.hadoop.fs.s3a.secret.key", "***");
    StringBuilder everything = new StringBuilder();
    everything.append(run.toString()).append('\n');
    List<String> artifacts = mlflow.artifactPaths(demoRunId);
    assertThat(artifacts)
        .contains("config/resolved-config.yaml", "model/MLmodel")
        .hasSizeGreaterThan(10);
    for (String a : artifacts) {
      everything.append(new String(mlflow.artifact(demoRunId, a), StandardCharsets.ISO_8859_1));
    }
    String logs = LOGS.text();
    assertThat(logs).contains("MLflow run " + demoRunId); // the capture saw Plumb's log lines
    everything.append(logs).append(demoOutcome.out()).append(demoOutcome.err());
    everything.append(
        mlflow.get("/api/2.0/mlflow/registered-models/get", "name", "plumb-it-model"));
    assertThat(everything.toString()).doesNotContain(CONFIG_SECRET).doesNotContain(TOKEN_SECRET);
  }

  private static final com.fasterxml.jackson.databind.ObjectMapper YAML =
      new com.fasterxml.jackson.databind.ObjectMapper(
          new com.fasterxml.jackson.dataformat.yaml.YAMLFactory());

  @Test
  @Order(8)
  void scoreTakesTheModelByRunByRegistryOrByFolderAndLogsItsRun(SparkSession spark)
      throws Exception {
    String clean = work.resolve("tables/clean").toString();
    byte[] logged = mlflow.artifact(demoRunId, "model/model.ubj");
    Path modelFolder = null;
    try (java.util.stream.Stream<Path> dirs = Files.list(work.resolve("models"))) {
      for (Path d : dirs.filter(Files::isDirectory).toList()) {
        Path ubj = d.resolve("mlflow-model/model.ubj");
        if (Files.exists(ubj) && java.util.Arrays.equals(Files.readAllBytes(ubj), logged)) {
          modelFolder = d;
        }
      }
    }
    assertThat(modelFolder).as("the demo run's model folder").isNotNull();
    Map<String, Map<Long, Double>> byRef = new HashMap<>();
    for (String ref :
        List.of(
            "runs:/" + demoRunId + "/model", "models:/plumb-it-model/1", modelFolder.toString())) {
      Path out = work.resolve("scored-" + byRef.size());
      Outcome o = plumb("score", "--model", ref, "--input", clean, "--output", out.toString());
      assertThat(o.code()).as(ref + ":\n" + o.err()).isZero();
      assertThat(o.out()).contains("score: 30,001 rows read = 30,001 scored + 0 quarantined");
      String scoreRun = runId(o);
      JsonNode run = mlflow.get("/api/2.0/mlflow/runs/get", "run_id", scoreRun).get("run");
      assertThat(run.get("info").get("status").asText()).isEqualTo("FINISHED");
      assertThat(MlflowServer.pairs(run.get("data").get("params")))
          .containsEntry("score.model", ref)
          .containsEntry("score.input", clean);
      Map<Long, Double> p = new HashMap<>();
      spark
          .read()
          .format("delta")
          .load(out.toString())
          .select("id", "probability")
          .collectAsList()
          .forEach(r -> p.put(r.getLong(0), r.getDouble(1)));
      byRef.put(ref, p);
    }
    // The logged model (cut to the best iteration) and the folder's give the same probabilities.
    Map<Long, Double> folder = byRef.get(modelFolder.toString());
    assertThat(folder).hasSize(30_001);
    for (Map<Long, Double> other : byRef.values()) {
      assertThat(other.keySet()).isEqualTo(folder.keySet());
      other.forEach(
          (id, v) ->
              assertThat(v)
                  .isCloseTo(folder.get(id), org.assertj.core.api.Assertions.within(1e-9)));
    }
    Outcome missing =
        plumb(
            "score",
            "--model",
            "runs:/" + demoRunId + "/nomodel",
            "--input",
            clean,
            "--output",
            work.resolve("scored-x").toString());
    assertThat(missing.code()).isEqualTo(1);
    assertThat(missing.err()).contains("has no Plumb model under 'nomodel'");
  }
}

package dev.plumb.it;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.when;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.plumb.testing.SharedSpark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The model lifecycle against a real MLflow server: {@code plumb tune} as one parent run with its
 * trials as child runs, and champion / challenger through the Model Registry's alias: a model does
 * not beat itself, a clearly better one is promoted and the alias moves, {@code --force} moves it
 * back with its reason on the version.
 */
@ExtendWith({SharedSpark.class, MlflowServerExtension.class})
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LifecycleIT {

  static final String MODEL = "plumb-lifecycle-it";

  @TempDir static Path work;
  static MlflowServer mlflow;
  static Path evalSpec;
  static String weakRunId;

  @BeforeAll
  static void setUp(MlflowServer server) throws Exception {
    mlflow = server;
    evalSpec =
        Files.writeString(
            work.resolve("eval.yaml"),
            String.join(
                "\n",
                "mode: full",
                "bootstrap: {replicates: 50, confidence: 0.95, seed: 7}",
                "gates:",
                "  - {name: ranks better than chance, metric: roc_auc, at_least: 0.6}"));
  }

  static PipelineIT.Outcome plumb(String job, String... sets) {
    List<String> args = new ArrayList<>();
    args.add(job);
    args.add("--conf");
    args.add(MlflowServer.root().resolve("conf/local.yaml").toString());
    List<String> all = new ArrayList<>();
    all.add("work_dir=" + work);
    all.add("ingest.input=" + work.resolve("demo-data"));
    all.add("ingest.contract=" + MlflowServer.root().resolve("conf/contracts/demo.yaml"));
    all.add("tune.spec=" + MlflowServer.root().resolve("conf/tune/demo.yaml"));
    all.add("evaluate.spec=" + evalSpec);
    all.add("demo.rows=20000");
    all.add("demo.days=3");
    all.add("tracking.experiment=plumb-lifecycle-it");
    all.add("tracking.register_model=" + MODEL);
    for (int i = 0; i < sets.length; i++) {
      if (sets[i].equals("--force")) {
        args.add(sets[i]);
      } else if (sets[i].startsWith("runs:/")) {
        args.add(sets[i]);
      } else if (sets[i].startsWith("--")) {
        args.add(sets[i]);
        args.add(sets[++i]);
      } else {
        all.add(sets[i]);
      }
    }
    for (String s : all) {
      args.add("--set");
      args.add(s);
    }
    return PipelineIT.run(args, Map.of("MLFLOW_TRACKING_URI", mlflow.uri()));
  }

  String champion() throws Exception {
    return mlflow
        .get("/api/2.0/mlflow/registered-models/alias", "name", MODEL, "alias", "champion")
        .get("model_version")
        .get("version")
        .asText();
  }

  Map<String, String> versionTags(String version) throws Exception {
    JsonNode mv =
        mlflow
            .get("/api/2.0/mlflow/model-versions/get", "name", MODEL, "version", version)
            .get("model_version");
    return MlflowServer.pairs(mv.get("tags"));
  }

  @Test
  @Order(1)
  void aModelDoesNotBeatItselfAndAClearlyBetterOneIsPromoted() throws Exception {
    // Version 1: a weak model (3 rounds of depth-2 trees) on the demo data.
    PipelineIT.Outcome weak = plumb("demo", "train.num_round=3", "train.max_depth=2");
    assertThat(weak.code()).as(weak.out() + weak.err()).isZero();
    weakRunId = PipelineIT.runId(weak);

    // No champion yet: the first model that passes its gates becomes it.
    PipelineIT.Outcome first = plumb("promote", "--model", "models:/" + MODEL + "/1");
    assertThat(first.code()).as(first.out() + first.err()).isZero();
    assertThat(first.out()).contains("no champion");
    assertThat(champion()).isEqualTo("1");

    // The champion against itself: every difference 0, every interval contains 0, not promoted.
    PipelineIT.Outcome self = plumb("compare", "--model", "models:/" + MODEL + "/1");
    assertThat(self.code()).as(self.out() + self.err()).isZero();
    Matcher auc =
        Pattern.compile(
                "roc_auc\\s+candidate (\\S+)\\s+champion (\\S+)\\s+difference (\\S+)\\s+\\[(\\S+),"
                    + " (\\S+)\\]")
            .matcher(self.out());
    assertThat(auc.find()).as(self.out()).isTrue();
    assertThat(Double.parseDouble(auc.group(3))).isEqualTo(0.0);
    assertThat(Double.parseDouble(auc.group(4))).isLessThanOrEqualTo(0.0);
    assertThat(Double.parseDouble(auc.group(5))).isGreaterThanOrEqualTo(0.0);
    JsonNode compareRun =
        mlflow.get("/api/2.0/mlflow/runs/get", "run_id", PipelineIT.runId(self)).get("run");
    Map<String, Double> metrics = new HashMap<>();
    compareRun
        .get("data")
        .get("metrics")
        .forEach(m -> metrics.put(m.get("key").asText(), m.get("value").asDouble()));
    assertThat(metrics).containsEntry("compare.roc_auc.difference", 0.0);
    PipelineIT.Outcome refused = plumb("promote", "--model", "models:/" + MODEL + "/1");
    assertThat(refused.code()).isEqualTo(1);
    assertThat(refused.out()).contains("NOT promoted").contains("not significantly better");
    assertThat(champion()).isEqualTo("1");

    // Version 2: the same feature set, 80 rounds of depth-6 trees. It wins and the alias moves.
    PipelineIT.Outcome strong = plumb("train", "train.num_round=80");
    assertThat(strong.code()).as(strong.out() + strong.err()).isZero();
    PipelineIT.Outcome promoted = plumb("promote", "--model", "models:/" + MODEL + "/2");
    assertThat(promoted.code()).as(promoted.out() + promoted.err()).isZero();
    assertThat(promoted.out()).contains("significantly better").contains("-> version 2");
    assertThat(champion()).isEqualTo("2");
    assertThat(versionTags("2"))
        .containsEntry("plumb.promotion", "won")
        .containsEntry("plumb.replaced", "models:/" + MODEL + "@champion");

    // Forced back to version 1, the reason recorded on the version.
    PipelineIT.Outcome forced =
        plumb(
            "promote",
            "--model",
            "models:/" + MODEL + "/1",
            "--force",
            "--reason",
            "rollback drill");
    assertThat(forced.code()).as(forced.out() + forced.err()).isZero();
    assertThat(forced.out()).contains("(forced)");
    assertThat(champion()).isEqualTo("1");
    assertThat(versionTags("1"))
        .containsEntry("plumb.promotion", "forced")
        .containsEntry("plumb.force_reason", "rollback drill");
  }

  @Test
  @Order(2)
  void tuneIsOneParentRunWithItsTrialsAsChildRuns() throws Exception {
    Path spec =
        Files.writeString(
            work.resolve("tune.yaml"),
            String.join(
                "\n",
                "budget: {trials: 3, minutes: 10}",
                "seed: 5",
                "space:",
                "  eta: {low: 0.05, high: 0.4, log: true}",
                "  max_depth: {type: int, low: 2, high: 6}"));
    PipelineIT.Outcome o = plumb("tune", "tune.spec=" + spec, "train.num_round=20");
    assertThat(o.code()).as(o.out() + o.err()).isZero();
    assertThat(o.out()).contains("3 trials; best trial");
    String parent = PipelineIT.runId(o);
    JsonNode run = mlflow.get("/api/2.0/mlflow/runs/get", "run_id", parent).get("run");
    String experiment = run.get("info").get("experiment_id").asText();
    Map<String, String> tags = MlflowServer.pairs(run.get("data").get("tags"));
    assertThat(tags).containsEntry("plumb.job", "tune").containsKey("plumb.tune.best_run_id");
    JsonNode children =
        mlflow.post(
            "/api/2.0/mlflow/runs/search",
            "{\"experiment_ids\": [\""
                + experiment
                + "\"], \"filter\": \"tags.mlflow.parentRunId = '"
                + parent
                + "'\"}");
    List<String> names = new ArrayList<>();
    for (JsonNode child : children.get("runs")) {
      String id = child.get("info").get("run_id").asText();
      Map<String, String> params = MlflowServer.pairs(child.get("data").get("params"));
      Map<String, String> childTags = MlflowServer.pairs(child.get("data").get("tags"));
      names.add(childTags.get("mlflow.runName"));
      assertThat(child.get("info").get("status").asText()).isEqualTo("FINISHED");
      assertThat(params).containsKeys("eta", "max_depth", "tune.trial");
      assertThat(childTags.get("plumb.tune.state")).isEqualTo("complete");
      JsonNode history =
          mlflow
              .get(
                  "/api/2.0/mlflow/metrics/get-history",
                  "run_id",
                  id,
                  "metric_key",
                  "validation-logloss")
              .get("metrics");
      assertThat(history.size()).isGreaterThan(1);
      assertThat(history.get(1).get("step").asLong()).isEqualTo(1);
    }
    assertThat(names).containsExactlyInAnyOrder("trial-0-defaults", "trial-1", "trial-2");
    assertThat(tags.get("plumb.tune.best_run_id")).isNotEmpty();
    // The parent carries the chosen model and its one test evaluation.
    Map<String, Double> metrics = new HashMap<>();
    run.get("data")
        .get("metrics")
        .forEach(m -> metrics.put(m.get("key").asText(), m.get("value").asDouble()));
    assertThat(metrics).containsKeys("test.roc_auc", "validation.logloss", "tune.trials");
    assertThat(metrics.get("validation.logloss"))
        .isLessThanOrEqualTo(metrics.get("validation.logloss.defaults"));
    assertThat(mlflow.artifactPaths(parent)).contains("model/MLmodel", "tune/tune-report.json");
  }

  @Test
  @Order(3)
  void reproduceGivesTheSameModelBytesAndStopsWhenOneInputRowChanged(SparkSession spark)
      throws Exception {
    PipelineIT.Outcome again = plumb("reproduce", "runs:/" + weakRunId);
    assertThat(again.code()).as(again.out() + again.err()).isZero();
    assertThat(again.out())
        .contains("reproduces         run " + weakRunId)
        .containsPattern("model bytes\\s+identical")
        .containsPattern("metrics\\s+identical");
    String newRun = PipelineIT.runId(again);
    assertThat(newRun).isNotEqualTo(weakRunId);
    Map<String, String> tags =
        MlflowServer.pairs(
            mlflow
                .get("/api/2.0/mlflow/runs/get", "run_id", newRun)
                .get("run")
                .get("data")
                .get("tags"));
    assertThat(tags)
        .containsEntry("plumb.reproduces", weakRunId)
        .containsEntry("plumb.reproduced.model_identical", "true")
        .containsEntry("plumb.reproduced.metrics_identical", "true");
    assertThat(mlflow.artifact(newRun, "model/model.ubj"))
        .isEqualTo(mlflow.artifact(weakRunId, "model/model.ubj"));

    // One row of one input file changed: the fingerprint no longer matches, and the file is named.
    Path file;
    try (var files = Files.walk(work.resolve("demo-data"))) {
      file =
          files.filter(p -> p.toString().endsWith(".parquet")).sorted().findFirst().orElseThrow();
    }
    Dataset<Row> rows = spark.read().parquet(file.toString());
    long firstId = rows.agg(min("id")).first().getLong(0);
    Path rewritten = work.resolve("rewritten");
    rows.withColumn(
            "amount",
            when(col("id").equalTo(firstId), col("amount").plus(1)).otherwise(col("amount")))
        .coalesce(1)
        .write()
        .parquet(rewritten.toString());
    Path part;
    try (var files = Files.list(rewritten)) {
      part = files.filter(p -> p.toString().endsWith(".parquet")).findFirst().orElseThrow();
    }
    Files.copy(part, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    // Hadoop's local filesystem checks a file against its .crc sibling: the old one no longer fits.
    Files.deleteIfExists(file.resolveSibling("." + file.getFileName() + ".crc"));
    PipelineIT.Outcome changed = plumb("reproduce", "runs:/" + weakRunId);
    assertThat(changed.code()).as(changed.out() + changed.err()).isEqualTo(1);
    assertThat(changed.err())
        .contains("data fingerprint changed")
        .containsPattern(
            "changed /?" + Pattern.quote(work.resolve("demo-data").relativize(file).toString()));
  }
}

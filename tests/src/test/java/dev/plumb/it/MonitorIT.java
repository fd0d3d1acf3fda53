package dev.plumb.it;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.pmod;
import static org.apache.spark.sql.functions.stddev_samp;
import static org.apache.spark.sql.functions.when;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plumb.testing.SharedSpark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code plumb monitor} end to end, in process, against a real MLflow server: the demo pipeline on
 * a few thousand rows logs a model with its training reference; monitoring shifted rows by the
 * run's model URI exits 1, and the Prometheus file, parsed by the official Python client, holds
 * exactly the values of the JSON report and of the MLflow run.
 */
@ExtendWith({SharedSpark.class, MlflowServerExtension.class})
class MonitorIT {

  @TempDir Path work;

  private PipelineIT.Outcome plumb(MlflowServer mlflow, String job, String... extra) {
    List<String> args =
        PipelineIT.demoArgs(
            job,
            work,
            "demo.rows=4000",
            "demo.days=3",
            "train.num_round=20",
            "tracking.experiment=plumb-monitor-it");
    args.addAll(List.of(extra));
    return PipelineIT.run(args, Map.of("MLFLOW_TRACKING_URI", mlflow.uri()));
  }

  private static String line(PipelineIT.Outcome o, String prefix) {
    return o.out()
        .lines()
        .filter(l -> l.startsWith(prefix))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no '" + prefix + "' line in:\n" + o.out()))
        .substring(prefix.length())
        .trim();
  }

  @Test
  void shiftedRowsFailTheGatesAndThePrometheusFileMatchesTheReportAndTheRun(
      SparkSession spark, MlflowServer mlflow) throws Exception {
    PipelineIT.Outcome demo = plumb(mlflow, "demo");
    assertThat(demo.code()).as(demo.err()).isZero();
    String trainRun = PipelineIT.runId(demo);
    assertThat(mlflow.artifactPaths(trainRun)).contains("model/reference.json");

    // amount up by its standard deviation, a country training never saw on 1 row in 5.
    String clean = work.resolve("tables/clean").toString();
    Dataset<Row> table = spark.read().format("delta").load(clean);
    double sd = table.agg(stddev_samp("amount")).first().getDouble(0);
    Path shifted = work.resolve("shifted");
    table
        .withColumn("amount", col("amount").plus(sd))
        .withColumn(
            "country",
            when(pmod(col("id"), lit(5)).equalTo(0), lit("MX")).otherwise(col("country")))
        .write()
        .parquet(shifted.toString());

    String ref = "runs:/" + trainRun + "/model";
    PipelineIT.Outcome o = plumb(mlflow, "monitor", "--model", ref, "--input", shifted.toString());
    assertThat(o.code()).as(o.out() + o.err()).isEqualTo(1);
    assertThat(o.out())
        .contains("gates FAILED")
        .contains("gate feature.*.psi FAILED")
        .contains("moved source columns: amount, country");
    Path report = Path.of(line(o, "report:"));
    Path html = Path.of(line(o, "html:"));
    Path prom = Path.of(line(o, "prometheus:"));
    assertThat(prom).isEqualTo(work.resolve("reports/monitor/monitor.prom"));
    assertThat(html).exists();
    JsonNode json = new ObjectMapper().readTree(report.toFile());
    assertThat(json.get("reference").asText()).endsWith("reference.json");
    assertThat(json.get("passed").asBoolean()).isFalse();
    JsonNode metrics = json.get("metrics");

    // The official Python client parses the file; every sample equals the report's value.
    Path script = work.resolve("parse_prom.py");
    Files.writeString(
        script,
        String.join(
            "\n",
            "import json, sys",
            "from prometheus_client.parser import text_string_to_metric_families",
            "samples, types = [], {}",
            "for family in text_string_to_metric_families(open(sys.argv[1]).read()):",
            "    types[family.name] = family.type",
            "    for s in family.samples:",
            "        samples.append({'name': s.name, 'labels': s.labels, 'value': s.value})",
            "print(json.dumps({'samples': samples, 'types': types}))",
            ""));
    JsonNode parsed =
        MlflowServer.runPython(MlflowServer.python(), script, Map.of(), prom.toString());
    parsed.get("types").forEach(t -> assertThat(t.asText()).isEqualTo("gauge"));
    Map<String, String> families =
        Map.of(
            "plumb_monitor_feature_psi", "psi",
            "plumb_monitor_feature_null_share", "null_share",
            "plumb_monitor_feature_null_share_change", "null_share_change",
            "plumb_monitor_feature_unseen_share", "unseen_share");
    int compared = 0;
    Map<String, Double> gatePassed = new HashMap<>();
    Double passed = null;
    for (JsonNode s : parsed.get("samples")) {
      String name = s.get("name").asText();
      JsonNode labels = s.get("labels");
      double value = s.get("value").asDouble();
      assertThat(labels.get("model").asText()).isEqualTo(ref);
      String metric = null;
      if (families.containsKey(name)) {
        metric = "feature." + labels.get("feature").asText() + "." + families.get(name);
      } else if (name.equals("plumb_monitor_column_out_of_contract_share")) {
        metric = "column." + labels.get("column").asText() + ".out_of_contract_share";
      } else if (name.equals("plumb_monitor_score_psi")) {
        metric = "score.psi";
      } else if (name.equals("plumb_monitor_score_positive_rate")) {
        metric = "score.positive_rate";
      } else if (name.equals("plumb_monitor_contract_quarantine_rate")) {
        metric = "contract.quarantine_rate";
      } else if (name.equals("plumb_monitor_rows")) {
        metric = "rows";
      } else if (name.equals("plumb_monitor_gate_passed")) {
        gatePassed.put(labels.get("gate").asText(), value);
      } else if (name.equals("plumb_monitor_passed")) {
        passed = value;
      }
      if (metric != null) {
        assertThat(metrics.has(metric)).as(metric).isTrue();
        assertThat(value).as(metric).isEqualTo(metrics.get(metric).asDouble());
        compared++;
      }
    }
    assertThat(compared).isGreaterThan(30);
    assertThat(passed).isEqualTo(0.0);
    json.get("gates")
        .forEach(
            g ->
                assertThat(gatePassed.get(g.get("name").asText()))
                    .as(g.get("name").asText())
                    .isEqualTo(g.get("passed").asBoolean() ? 1.0 : 0.0));
    assertThat(gatePassed).containsEntry("feature.*.psi", 0.0).containsEntry("score.psi", 0.0);
    assertThat(metrics.get("feature.country.unseen_share").asDouble()).isCloseTo(0.2, within(0.03));

    // The MLflow run: params, every metric, the verdict and the three files.
    String monitorRun = PipelineIT.runId(o);
    JsonNode run = mlflow.get("/api/2.0/mlflow/runs/get", "run_id", monitorRun).get("run");
    assertThat(run.get("info").get("run_name").asText()).isEqualTo("plumb-monitor");
    assertThat(MlflowServer.pairs(run.get("data").get("params")))
        .containsEntry("monitor.model", ref)
        .containsEntry("monitor.input", shifted.toString());
    assertThat(MlflowServer.pairs(run.get("data").get("tags")))
        .containsEntry("plumb.monitor_passed", "false")
        .containsKey("plumb.model");
    Map<String, Double> logged = new HashMap<>();
    run.get("data")
        .get("metrics")
        .forEach(m -> logged.put(m.get("key").asText(), m.get("value").asDouble()));
    metrics
        .fields()
        .forEachRemaining(
            e ->
                assertThat(logged.get(e.getKey()))
                    .as(e.getKey())
                    .isCloseTo(e.getValue().asDouble(), within(1e-9)));
    assertThat(mlflow.artifactPaths(monitorRun))
        .contains(
            "monitor/monitor-report.json", "monitor/monitor-report.html", "monitor/monitor.prom");
  }
}

package dev.plumb.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code cluster/gpu/readiness_report.py} turns a driver log of the RAPIDS Accelerator's
 * explain-only mode (a fixture cut from a real run's log: every line format it prints) into the
 * per-stage readiness report: trees assigned to the stage whose marker came last, each query's
 * operators counted once (a tree adaptive execution prints again, whole or one query stage of it,
 * is not counted again), Delta's metadata plans apart (its log replay and its snapshot's state
 * aggregate), unconverted plans and fallbacks with their reasons.
 */
class GpuReadinessReportIT {

  @TempDir Path tmp;

  @Test
  void theReportCountsOperatorsPerStageAndNamesEveryFallback() throws Exception {
    Path log = tmp.resolve("driver.log");
    try (InputStream in = getClass().getResourceAsStream("rapids-explain-driver.log")) {
      Files.write(log, in.readAllBytes());
    }
    Path json = tmp.resolve("readiness.json");
    Process p =
        new ProcessBuilder(
                MlflowServer.python().toString(),
                MlflowServer.root().resolve("cluster/gpu/readiness_report.py").toString(),
                log.toString(),
                json.toString())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    assertThat(out).contains("report: " + json);
    JsonNode stages = new ObjectMapper().readTree(json.toFile()).get("stages");

    // Before any stage: the session's own plan.
    assertThat(stages.get("setup").get("operators").asInt()).isEqualTo(1);
    assertThat(stages.get("setup").get("operators_on_gpu").asInt()).isZero();
    // Ingest: the repeated tree once and its query stage not again (2 of 3 operators), plus the
    // plan RAPIDS could not convert.
    JsonNode ingest = stages.get("ingest");
    assertThat(ingest.get("operators").asInt()).isEqualTo(3);
    assertThat(ingest.get("operators_on_gpu").asInt()).isEqualTo(2);
    assertThat(ingest.get("gpu_share").asDouble()).isEqualTo(0.6667);
    assertThat(ingest.get("plans_not_converted").asInt()).isEqualTo(1);
    assertThat(ingest.get("fallbacks").toString())
        .contains("plan containing CollectMetricsExec")
        .contains("operator FileSourceScanExec")
        .contains("hidden metadata columns are not supported on GPU");
    // Features: Plumb's plan (4 operators, 3 on the GPU; CreateExternalRow is an expression) and
    // Delta's log replay apart.
    JsonNode features = stages.get("features");
    assertThat(features.get("operators").asInt()).isEqualTo(4);
    assertThat(features.get("operators_on_gpu").asInt()).isEqualTo(3);
    assertThat(features.get("expressions").asInt()).isEqualTo(2);
    assertThat(features.get("fallbacks").toString())
        .contains("expression CreateExternalRow")
        .contains("operator DeserializeToObjectExec");
    JsonNode delta = stages.get("features (Delta metadata)");
    assertThat(delta.get("operators").asInt()).isEqualTo(4);
    assertThat(delta.get("operators_on_gpu").asInt()).isEqualTo(2);
    assertThat(delta.get("plans").asInt()).isEqualTo(2);
    // Evaluation ("evaluate" in Plumb's marker): a removed node is not counted.
    JsonNode evaluation = stages.get("evaluation");
    assertThat(evaluation.get("operators").asInt()).isEqualTo(3);
    assertThat(evaluation.get("gpu_share").asDouble()).isEqualTo(1.0);
    JsonNode overall = new ObjectMapper().readTree(json.toFile()).get("overall");
    assertThat(overall.get("operators").asInt()).isEqualTo(11);
    assertThat(overall.get("operators_on_gpu").asInt()).isEqualTo(8);
  }
}

package dev.plumb.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.plumb.testing.SharedSpark;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(SharedSpark.class)
class PlumbCliTest {

  @TempDir Path tmp;

  record Outcome(int code, String out, String err) {}

  static Outcome plumb(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code =
        Plumb.run(
            args,
            Map.of(),
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Outcome(
        code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void helpListsEveryJob() {
    Outcome o = plumb("--help");
    assertThat(o.code()).isZero();
    for (String job : Plumb.JOBS) {
      assertThat(o.out()).contains("  " + job + " ");
    }
    assertThat(plumb("train", "--help").out()).contains("--set key=value");
  }

  @Test
  void keysPrintsEveryKeyWithItsDefault() {
    Outcome o = plumb("keys");
    assertThat(o.code()).isZero();
    assertThat(o.out()).contains("train.num_workers").contains("200000").contains("spark.conf.");
  }

  @Test
  void monitorNeedsAModelAndAnInputAndTakesNoOutput() {
    Outcome noModel = plumb("monitor", "--input", "raw");
    assertThat(noModel.code()).isEqualTo(2);
    assertThat(noModel.err()).contains("monitor needs --model");
    Outcome noInput = plumb("monitor", "--model", "m");
    assertThat(noInput.code()).isEqualTo(2);
    assertThat(noInput.err()).contains("monitor needs --input");
    Outcome output = plumb("monitor", "--model", "m", "--input", "raw", "--output", "o");
    assertThat(output.code()).isEqualTo(2);
    assertThat(output.err()).contains("--output is an option of 'features apply' and 'score' only");
    assertThat(plumb("train", "--model", "m").err())
        .contains("--model is an option of 'score', 'compare', 'promote' and 'monitor' only");
    assertThat(plumb("--help").out()).contains("  monitor ").contains("monitor.spec");
  }

  @Test
  void lifecycleJobsCheckTheirArgumentsBeforeAnythingRuns() {
    Outcome compare = plumb("compare");
    assertThat(compare.code()).isEqualTo(2);
    assertThat(compare.err()).contains("compare needs --model REF");
    Outcome forceAlone = plumb("promote", "--model", "models:/m/1", "--force");
    assertThat(forceAlone.code()).isEqualTo(2);
    assertThat(forceAlone.err()).contains("promote --force needs --reason TEXT");
    Outcome reasonAlone = plumb("promote", "--model", "models:/m/1", "--reason", "why");
    assertThat(reasonAlone.code()).isEqualTo(2);
    assertThat(reasonAlone.err()).contains("--reason goes with --force");
    assertThat(plumb("train", "--reason", "x").err())
        .contains("--reason is an option of 'promote --force' only");
    Outcome reproduce = plumb("reproduce");
    assertThat(reproduce.code()).isEqualTo(2);
    assertThat(reproduce.err()).contains("plumb reproduce runs:/RUN_ID");
    Outcome metric = plumb("config", "--set", "compare.metric=auc");
    assertThat(metric.code()).isEqualTo(2);
    assertThat(metric.err()).contains("compare.metric").contains("roc_auc");
    Outcome tune = plumb("config", "--set", "tune.spec=/no/such/tune.yaml");
    assertThat(tune.code()).isEqualTo(2);
    assertThat(tune.err()).contains("tune.spec").contains("/no/such/tune.yaml");
    assertThat(plumb("--help").out())
        .contains("  tune ")
        .contains("  compare ")
        .contains("  promote ")
        .contains("  reproduce ");
  }

  @Test
  void anUnknownJobOrOptionIsAUsageError() {
    Outcome job = plumb("trian");
    assertThat(job.code()).isEqualTo(2);
    assertThat(job.err()).contains("unknown job 'trian'").contains("pipeline");
    Outcome option = plumb("train", "--confg", "x");
    assertThat(option.code()).isEqualTo(2);
    assertThat(option.err()).contains("unknown option '--confg'");
  }

  @Test
  void anUnknownKeyInTheFileIsNamedWithTheValidOnes() throws Exception {
    Path conf = tmp.resolve("bad.yaml");
    Files.writeString(conf, "train:\n  num_wokers: 4\n");
    Outcome o = plumb("train", "--conf", conf.toString(), "--tracking", "none");
    assertThat(o.code()).isEqualTo(2);
    assertThat(o.err())
        .contains("unknown key 'train.num_wokers' in " + conf)
        .contains("did you mean 'train.num_workers'")
        .contains("train.eta");
  }

  @Test
  void anUnknownOrIllTypedSetKeyIsRejected() {
    Outcome unknown = plumb("train", "--set", "trian.eta=0.3");
    assertThat(unknown.code()).isEqualTo(2);
    assertThat(unknown.err()).contains("unknown key 'trian.eta' in --set").contains("train.eta");
    Outcome badType = plumb("train", "--set", "train.num_round=many");
    assertThat(badType.code()).isEqualTo(2);
    assertThat(badType.err()).contains("train.num_round = 'many'").contains("not a valid int");
    Outcome badValue = plumb("train", "--set", "train.device=tpu");
    assertThat(badValue.code()).isEqualTo(2);
    assertThat(badValue.err())
        .contains("train.device = 'tpu' (from --set)")
        .contains("[cpu, cuda, auto]");
  }

  @Test
  void aMissingConfigFileIsNamed() {
    Outcome o = plumb("ingest", "--conf", tmp.resolve("nope.yaml").toString());
    assertThat(o.code()).isEqualTo(2);
    assertThat(o.err()).contains("nope.yaml").contains("does not exist");
  }

  @Test
  void aMissingInputPathIsNamed(SparkSession spark) {
    Path missing = tmp.resolve("no-such-data");
    Outcome o =
        plumb(
            "ingest",
            "--tracking",
            "none",
            "--set",
            "work_dir=" + tmp.resolve("work"),
            "--set",
            "ingest.contract=" + contract(),
            "--set",
            "ingest.input=" + missing);
    assertThat(o.code()).isEqualTo(1);
    assertThat(o.err()).contains("path '" + missing + "' does not exist").contains("ingest.input");
  }

  @Test
  void anUnreachableServerFailsBeforeAnyCompute() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    Outcome refused =
        plumb(
            "train",
            "--set",
            "tracking.uri=http://127.0.0.1:" + port,
            "--set",
            "work_dir=" + tmp.resolve("never"));
    assertThat(refused.code()).isEqualTo(1);
    assertThat(refused.err())
        .contains("Cannot reach the MLflow tracking server at http://127.0.0.1:" + port)
        .contains("--tracking none");
    assertThat(tmp.resolve("never")).doesNotExist();
  }

  @Test
  void aServerThatRejectsTheCredentialsIsABadConfigNotAnOutage() throws Exception {
    com.sun.net.httpserver.HttpServer server =
        com.sun.net.httpserver.HttpServer.create(
            new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/",
        x -> {
          byte[] body = "{\"error_code\":\"UNAUTHENTICATED\"}".getBytes(StandardCharsets.UTF_8);
          x.sendResponseHeaders(401, body.length);
          x.getResponseBody().write(body);
          x.close();
        });
    server.start();
    try {
      String uri = "http://127.0.0.1:" + server.getAddress().getPort();
      Outcome o =
          plumb("train", "--set", "tracking.uri=" + uri, "--set", "work_dir=" + tmp.resolve("w"));
      assertThat(o.code()).isEqualTo(2);
      assertThat(o.err())
          .contains("Cannot use the MLflow tracking server at " + uri)
          .contains("rejected the credentials (HTTP 401)")
          .contains("MLFLOW_TRACKING_TOKEN")
          .doesNotContain("start one with")
          .doesNotContain("Cannot reach");
    } finally {
      server.stop(0);
    }
  }

  @Test
  void aServerThatNeverAnswersTimesOut() throws Exception {
    try (ServerSocket stalled = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      // Accepts connections (the backlog does) but never reads or answers.
      long start = System.nanoTime();
      Outcome o =
          plumb(
              "train",
              "--set",
              "tracking.uri=http://127.0.0.1:" + stalled.getLocalPort(),
              "--set",
              "tracking.timeout_seconds=2");
      double seconds = (System.nanoTime() - start) / 1e9;
      assertThat(o.code()).isEqualTo(1);
      assertThat(o.err()).contains("Cannot reach the MLflow tracking server").contains("timed out");
      assertThat(seconds).isLessThan(30);
    }
  }

  @Test
  void secretsAreRedactedFromParams() {
    PlumbConfig config =
        PlumbConfig.load(
            null,
            List.of(
                "spark.conf.spark.hadoop.fs.s3a.secret.key=hunter2",
                "tracking.uri=https://bob:hunter2@mlflow.example.com"),
            Map.of());
    Map<String, String> params = config.redacted();
    assertThat(params.get("spark.conf.spark.hadoop.fs.s3a.secret.key")).isEqualTo("***");
    assertThat(params.get("tracking.uri")).isEqualTo("https://***@mlflow.example.com");
    assertThat(params.values()).noneMatch(v -> v.contains("hunter2"));
  }

  @Test
  void precedenceIsSetThenFileThenDefault() throws Exception {
    Path conf = tmp.resolve("c.yaml");
    Files.writeString(conf, "train:\n  eta: 0.2\n  max_depth: 4\n");
    PlumbConfig config = PlumbConfig.load(conf.toString(), List.of("train.eta=0.05"), Map.of());
    assertThat(config.number("train.eta")).isEqualTo(0.05);
    assertThat(config.integer("train.max_depth")).isEqualTo(4);
    assertThat(config.integer("train.num_round")).isEqualTo(200);
    PlumbConfig env =
        PlumbConfig.load(null, List.of(), Map.of("MLFLOW_TRACKING_URI", "http://h:1"));
    assertThat(env.string("tracking.uri")).isEqualTo("http://h:1");
  }

  @Test
  void artifactPathsCannotEscapeTheRunRoot() {
    ArtifactPaths.check("model/model.ubj");
    for (String bad : List.of("../x", "model/../../x", "/etc/passwd", "model/%2e%2e/%2e%2e/x")) {
      assertThatThrownBy(() -> ArtifactPaths.check(bad))
          .as(bad)
          .hasMessageContaining("must be relative");
    }
  }

  static String contract() {
    Path p = Path.of("..", "conf", "contracts", "demo.yaml").toAbsolutePath().normalize();
    assertThat(p).exists();
    return p.toString();
  }
}

package dev.plumb.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shaded jar, {@code spark-submit}ted to a real Spark standalone cluster (a master and two
 * 1-core workers on 127.0.0.1, from {@code cluster/local/standalone.sh}), tracked in a real MLflow
 * server: XGBoost trains with {@code num_workers=2} across the two executors; then a worker is
 * killed mid-training and the job must fail within a bounded time with the run FAILED.
 */
@ExtendWith(MlflowServerExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SparkSubmitIT {

  /** How long a worker death may take to fail the job (kill to exit), Spark's shutdown included. */
  static final Duration FAILURE_BOUND = Duration.ofSeconds(120);

  private static final Pattern RUN_URL = Pattern.compile("/#/experiments/(\\d+)/runs/([0-9a-f]+)");
  private static final String TRAINING_JOB = "Plumb: XGBoost training";

  @TempDir static Path work;
  static MlflowServer mlflow;
  static Map<String, String> clusterEnv = new HashMap<>();
  static String masterUrl;
  static String masterUi;
  static Path sparkHome;
  static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  static final ObjectMapper JSON = new ObjectMapper();

  @BeforeAll
  static void cluster(MlflowServer server) throws Exception {
    mlflow = server;
    int masterPort = freePort();
    int uiPort = freePort();
    clusterEnv.put("PLUMB_SPARK_MASTER_PORT", String.valueOf(masterPort));
    clusterEnv.put("PLUMB_SPARK_MASTER_WEBUI_PORT", String.valueOf(uiPort));
    clusterEnv.put("PLUMB_STANDALONE_DIR", work.resolve("cluster").toString());
    clusterEnv.put("PLUMB_SPARK_WORKER_MEMORY", "1g");
    masterUrl = script("start").trim();
    assertThat(masterUrl).isEqualTo("spark://127.0.0.1:" + masterPort);
    masterUi = "http://127.0.0.1:" + uiPort;
    sparkHome = Path.of(script("spark-home").trim());
    JsonNode master = getJson(masterUi + "/json/");
    assertThat(master.get("aliveworkers").asInt()).isEqualTo(2);
    assertThat(master.get("cores").asInt()).isEqualTo(2);
  }

  @AfterAll
  static void stopCluster() throws Exception {
    if (masterUrl != null) {
      script("stop");
    }
  }

  static String script(String command) throws Exception {
    ProcessBuilder pb =
        new ProcessBuilder(
                MlflowServer.root().resolve("cluster/local/standalone.sh").toString(), command)
            .redirectError(ProcessBuilder.Redirect.INHERIT);
    pb.environment().putAll(clusterEnv);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(15, TimeUnit.MINUTES)).isTrue();
    assertThat(p.exitValue()).as("standalone.sh " + command + ": " + out).isZero();
    return out;
  }

  static Path submitJar() {
    Path jar =
        Path.of(
            System.getProperty(
                "plumb.submitJar",
                MlflowServer.root()
                    .resolve("jobs/target/plumb-jobs-0.1.0-SNAPSHOT-spark-submit.jar")
                    .toString()));
    assertThat(jar)
        .as("the shaded jar (build it with ./mvnw -B -DskipTests package -pl jobs -am)")
        .isRegularFile();
    return jar;
  }

  /**
   * Delta for the submitted job, as cluster/README.md tells plain-Spark users to supply it: the
   * spark-submit jar has no Delta (Databricks and EMR bring their own). The delta-spark and
   * delta-storage jars this build resolved (the test classpath's, from the local Maven repository)
   * go with {@code --jars}, which is what {@code --packages io.delta:delta-spark_2.12:<version>}
   * would fetch, without Ivy or the network at test time.
   */
  static String deltaJars() throws Exception {
    List<String> jars = new ArrayList<>();
    for (String className : List.of("io.delta.tables.DeltaTable", "io.delta.storage.LogStore")) {
      Path jar =
          Path.of(
              Class.forName(className).getProtectionDomain().getCodeSource().getLocation().toURI());
      assertThat(jar).as("the jar of " + className).isRegularFile();
      jars.add(jar.toString());
    }
    return String.join(",", jars);
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** A running {@code spark-submit ... demo}; its driver UI is polled while it runs. */
  record Submission(Process process, Path logFile, int uiPort, String name) {

    String log() throws IOException {
      return Files.readString(logFile, StandardCharsets.UTF_8);
    }
  }

  static Submission submit(String job, String name, String... sets) throws Exception {
    Path dir = work.resolve(name);
    Files.createDirectories(dir);
    int uiPort = freePort();
    List<String> cmd =
        new ArrayList<>(
            List.of(
                sparkHome.resolve("bin/spark-submit").toString(),
                "--master",
                masterUrl,
                "--class",
                "dev.plumb.jobs.Plumb",
                "--driver-memory",
                "1g",
                "--executor-memory",
                "640m",
                "--conf",
                "spark.driver.host=127.0.0.1",
                "--conf",
                "spark.driver.bindAddress=127.0.0.1",
                "--conf",
                "spark.ui.enabled=true",
                "--conf",
                "spark.ui.port=" + uiPort,
                "--conf",
                "spark.port.maxRetries=0",
                "--jars",
                deltaJars(),
                submitJar().toString(),
                job,
                "--conf",
                MlflowServer.root().resolve("conf/standalone.yaml").toString()));
    List<String> all =
        new ArrayList<>(
            List.of(
                "work_dir=" + dir,
                "ingest.input=" + dir.resolve("demo-data"),
                "ingest.contract=" + MlflowServer.root().resolve("conf/contracts/demo.yaml"),
                "demo.rows=20000",
                "demo.days=3",
                "spark.shuffle_partitions=2",
                "train.num_workers=2",
                "tracking.experiment=plumb-spark-submit-it"));
    all.addAll(List.of(sets));
    for (String s : all) {
      cmd.add("--set");
      cmd.add(s);
    }
    Path logFile = dir.resolve("spark-submit.log");
    ProcessBuilder pb =
        new ProcessBuilder(cmd)
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(logFile.toFile());
    pb.environment().put("SPARK_HOME", sparkHome.toString());
    pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    pb.environment().put("MLFLOW_TRACKING_URI", mlflow.uri());
    return new Submission(pb.start(), logFile, uiPort, name);
  }

  /**
   * The executors that ran the tasks of the training job's stages, by stage: polled from the UI.
   */
  static Map<Integer, Set<String>> trainingTaskExecutors(int uiPort) {
    return trainingTaskExecutors(uiPort, false);
  }

  /**
   * {@link #trainingTaskExecutors(int)}, or with {@code boostingNow} only XGBoost's own stages
   * (named after XGBoost.scala: the barrier stage that boosts, not the jobs that prepare its rows)
   * and only their tasks still running.
   */
  static Map<Integer, Set<String>> trainingTaskExecutors(int uiPort, boolean boostingNow) {
    Map<Integer, Set<String>> out = new HashMap<>();
    try {
      String api = "http://127.0.0.1:" + uiPort + "/api/v1/applications";
      String app = getJson(api).get(0).get("id").asText();
      for (JsonNode job : getJson(api + "/" + app + "/jobs")) {
        if (!TRAINING_JOB.equals(job.path("description").asText())) {
          continue;
        }
        for (JsonNode stage : job.get("stageIds")) {
          for (JsonNode attempt : getJson(api + "/" + app + "/stages/" + stage.asInt())) {
            if (boostingNow && !attempt.path("name").asText().contains("at XGBoost.scala")) {
              continue;
            }
            Set<String> executors = new TreeSet<>();
            JsonNode tasks =
                getJson(
                    api
                        + "/"
                        + app
                        + "/stages/"
                        + stage.asInt()
                        + "/"
                        + attempt.get("attemptId").asInt()
                        + "/taskList?length=1000");
            tasks.forEach(
                t -> {
                  if (!boostingNow || "RUNNING".equals(t.path("status").asText())) {
                    executors.add(t.get("executorId").asText());
                  }
                });
            if (!executors.isEmpty()) {
              out.put(stage.asInt(), executors);
            }
          }
        }
      }
    } catch (Exception e) {
      // The driver is not up yet, or has just ended: keep the last snapshot.
    }
    return out;
  }

  static JsonNode getJson(String url) throws Exception {
    HttpResponse<String> r =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).GET().build(),
            HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IOException("GET " + url + " -> " + r.statusCode());
    }
    return JSON.readTree(r.body());
  }

  /** The runs of the IT's experiment, newest first, through MLflow's REST search. */
  static JsonNode runs() throws Exception {
    String experimentId =
        mlflow
            .get(
                "/api/2.0/mlflow/experiments/get-by-name",
                "experiment_name",
                "plumb-spark-submit-it")
            .get("experiment")
            .get("experiment_id")
            .asText();
    String body =
        "{\"experiment_ids\":[\""
            + experimentId
            + "\"],\"order_by\":[\"attributes.start_time DESC\"],\"max_results\":10}";
    HttpResponse<String> r =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(mlflow.uri() + "/api/2.0/mlflow/runs/search"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return JSON.readTree(r.body()).get("runs");
  }

  @Test
  @Order(1)
  void trainsWithTwoWorkersAcrossTheTwoExecutorsTrackedInMlflow() throws Exception {
    Submission s =
        submit(
            "demo",
            "two-executors",
            "train.num_round=20",
            "train.scale_pos_weight=auto",
            "train.model_format=json");
    Map<Integer, Set<String>> training = new HashMap<>();
    while (!s.process().waitFor(1, TimeUnit.SECONDS)) {
      Map<Integer, Set<String>> now = trainingTaskExecutors(s.uiPort());
      now.forEach(training::put);
    }
    String log = s.log();
    assertThat(s.process().exitValue()).as(log).isZero();
    assertThat(log).contains("ROC-AUC").contains("best iteration");
    assertProgressAsItHappened(log);

    // XGBoost's barrier stage ran one task on each of the two executors.
    assertThat(training.values())
        .as("training stages and their executors: " + training)
        .anySatisfy(executors -> assertThat(executors).hasSize(2));

    Matcher m = RUN_URL.matcher(log);
    assertThat(m.find()).as(log).isTrue();
    String runId = m.group(2);
    JsonNode run = mlflow.get("/api/2.0/mlflow/runs/get", "run_id", runId).get("run");
    assertThat(run.get("info").get("status").asText()).isEqualTo("FINISHED");
    Map<String, String> params = MlflowServer.pairs(run.get("data").get("params"));
    assertThat(params)
        .containsEntry("train.num_workers", "2")
        .containsEntry("xgboost.num_workers", "2")
        .containsEntry("xgboost.nthread", "1")
        .containsEntry("xgboost.device", "cpu")
        .containsEntry("train.scale_pos_weight", "auto");
    // auto = negatives / positives of the train split; the demo data has ~5% positives.
    assertThat(Double.parseDouble(params.get("xgboost.scale_pos_weight"))).isBetween(5.0, 60.0);
    Map<String, String> tags = MlflowServer.pairs(run.get("data").get("tags"));
    assertThat(tags.get("plumb.spark_master")).isEqualTo(masterUrl);
    JsonNode files =
        mlflow.get("/api/2.0/mlflow/artifacts/list", "run_id", runId, "path", "model").get("files");
    List<String> names = new ArrayList<>();
    files.forEach(f -> names.add(f.get("path").asText()));
    assertThat(names)
        .contains("model/model.ubj", "model/model.json", "model/MLmodel", "model/booster.json");
    String json = new String(mlflow.artifact(runId, "model/booster.json"), StandardCharsets.UTF_8);
    assertThat(json).startsWith("{").contains("\"feature_names\":[").contains("best_iteration");
    byte[] booster = mlflow.artifact(runId, "model/model.ubj");
    assertThat(booster.length).isGreaterThan(1000);
    // UBJ starts with '{' and the model carries its feature names.
    assertThat((char) booster[0]).isEqualTo('{');
    assertThat(new String(booster, StandardCharsets.ISO_8859_1)).contains("feature_names");
  }

  @Test
  @Order(2)
  void moreWorkersThanTheClusterHasFailsAtPreflightInsteadOfHanging() throws Exception {
    Submission s =
        submit("train", "two-executors", "train.num_workers=3", "train.executor_wait_seconds=5");
    long start = System.nanoTime();
    // Without the preflight, Spark retries the barrier stage for about ten minutes.
    boolean exited = s.process().waitFor(3, TimeUnit.MINUTES);
    if (!exited) {
      s.process().descendants().forEach(ProcessHandle::destroyForcibly);
      s.process().destroyForcibly();
    }
    String log = s.log();
    assertThat(exited).as(log).isTrue();
    assertThat(s.process().exitValue()).as(log).isEqualTo(1);
    assertThat(log)
        .contains("plumb train failed: Cannot train: train.num_workers = 3 is more than the 2 task")
        .contains("2 executor(s)")
        .contains("set train.num_workers <= 2 or 0 for auto");
    System.out.printf("preflight failure: %.1f s%n", (System.nanoTime() - start) / 1e9);
    assertThat(runs().get(0).get("info").get("status").asText()).isEqualTo("FAILED");
  }

  @Test
  @Order(3)
  void aWorkerDyingDuringTrainingFailsTheJobWithinBoundedTimeAndTheRunIsFailed() throws Exception {
    // Trains on the first test's feature set; enough rounds that training is still running when
    // the worker is killed.
    Submission s =
        submit(
            "train",
            "two-executors",
            "train.num_round=100000",
            "train.early_stopping_rounds=0",
            "train.eta=0.001");
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(8);
    boolean training = false;
    while (!training && System.nanoTime() < deadline && s.process().isAlive()) {
      training =
          trainingTaskExecutors(s.uiPort(), true).values().stream().anyMatch(e -> e.size() == 2);
      Thread.sleep(500);
    }
    assertThat(training).as("training started on both executors:\n" + s.log()).isTrue();
    Thread.sleep(2000);
    long workerPid = Long.parseLong(Files.readString(work.resolve("cluster/worker-2.pid")).trim());
    ProcessHandle worker = ProcessHandle.of(workerPid).orElseThrow();
    long killedAt = System.nanoTime();
    // The worker's own process and its executor (a child of the worker) die at once, as on a
    // machine that goes away.
    worker.descendants().forEach(ProcessHandle::destroyForcibly);
    worker.destroyForcibly();

    boolean exited = s.process().waitFor(FAILURE_BOUND.toSeconds(), TimeUnit.SECONDS);
    double seconds = (System.nanoTime() - killedAt) / 1e9;
    if (!exited) {
      s.process().descendants().forEach(ProcessHandle::destroyForcibly);
      s.process().destroyForcibly();
    }
    String log = s.log();
    assertThat(exited).as("exited within " + FAILURE_BOUND + ":\n" + log).isTrue();
    assertThat(s.process().exitValue()).as(log).isEqualTo(1);
    assertThat(log)
        .contains("plumb train failed: Cannot train:")
        .contains("during XGBoost training")
        .contains("cannot go on with fewer");
    System.out.printf("worker death -> job exit: %.1f s%n", seconds);

    JsonNode latest = runs().get(0);
    assertThat(latest.get("info").get("status").asText()).isEqualTo("FAILED");
    assertThat(MlflowServer.pairs(latest.get("data").get("params")))
        .containsEntry("train.num_round", "100000");
  }

  /** Plumb's own progress lines (logger dev.plumb) as Spark's default log4j2 layout prints them. */
  private static final Pattern PROGRESS =
      Pattern.compile(
          "(\\d{2}/\\d{2}/\\d{2} \\d{2}:\\d{2}:\\d{2}) INFO plumb: ((stage|progress|train|ingest)[^\\n]*)");

  /**
   * The driver printed Plumb's stage lines while the job ran (Plumb leaves Spark's log level to the
   * platform and logs its own progress at INFO): every stage's start, with timestamps spread over
   * the run rather than printed at the end.
   */
  static void assertProgressAsItHappened(String log) {
    Matcher m = PROGRESS.matcher(log);
    java.time.format.DateTimeFormatter f =
        java.time.format.DateTimeFormatter.ofPattern("yy/MM/dd HH:mm:ss");
    List<java.time.LocalDateTime> times = new java.util.ArrayList<>();
    List<String> lines = new java.util.ArrayList<>();
    while (m.find()) {
      times.add(java.time.LocalDateTime.parse(m.group(1), f));
      lines.add(m.group(2));
    }
    assertThat(lines)
        .as(log)
        .anyMatch(l -> l.startsWith("stage ingest"))
        .anyMatch(l -> l.startsWith("stage features"))
        .anyMatch(l -> l.startsWith("stage train"))
        .anyMatch(l -> l.startsWith("stage evaluate"));
    assertThat(new java.util.TreeSet<>(times))
        .as("distinct timestamps of " + lines)
        .hasSizeGreaterThan(3);
    assertThat(java.time.Duration.between(times.get(0), times.get(times.size() - 1)).toSeconds())
        .as("seconds between the first and last progress line")
        .isGreaterThanOrEqualTo(15);
  }
}

package dev.plumb.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plumb.testing.SharedSpark;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faults injected at the edges of real jobs, each its own JVM started from the local distribution
 * as {@code ./plumb} starts it: {@code kill -9} inside the clean write, between the clean and
 * quarantine commits and between the feature data commit and the manifest (then a rerun must
 * complete with exact counts and no rows of the killed attempt), SIGTERM mid-training (one line, no
 * stack trace), and the launcher with tracking set in the config file.
 */
@ExtendWith(SharedSpark.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FaultInjectionIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration START_TO_POINT = Duration.ofMinutes(4);

  @TempDir static Path work;

  /** A job running in its own JVM; its stdout and stderr merged, read as it goes. */
  static final class Job {
    final Process process;
    private final StringBuffer output = new StringBuffer();

    Job(Process process) {
      this.process = process;
      Thread reader =
          new Thread(
              () -> {
                try (BufferedReader in =
                    new BufferedReader(
                        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                  for (String l = in.readLine(); l != null; l = in.readLine()) {
                    output.append(l).append('\n');
                  }
                } catch (IOException e) {
                  output.append("(reader: ").append(e).append(")\n");
                }
              },
              "job-output");
      reader.setDaemon(true);
      reader.start();
    }

    /** Waits until a line containing {@code text} was printed. */
    void awaitLine(String text, Duration timeout) throws InterruptedException {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (!output.toString().contains(text)) {
        assertThat(process.isAlive() || output.toString().contains(text))
            .as("the job ended before printing '" + text + "':\n" + output)
            .isTrue();
        assertThat(System.nanoTime())
            .as("waiting for '" + text + "':\n" + output)
            .isLessThan(deadline);
        Thread.sleep(100);
      }
    }

    int await() throws InterruptedException {
      assertThat(process.waitFor(5, TimeUnit.MINUTES)).as(output.toString()).isTrue();
      Thread.sleep(200); // the reader drains the last lines
      return process.exitValue();
    }

    String output() {
      return output.toString();
    }
  }

  static Job start(Path dir, Map<String, String> env, String job, String... sets)
      throws IOException {
    Path root = MlflowServer.root();
    Path dist = root.resolve("jobs/target/dist");
    String jar;
    try (Stream<Path> jars = Files.list(dist)) {
      jar =
          jars.filter(p -> p.getFileName().toString().matches("plumb-jobs-.*\\.jar"))
              .findFirst()
              .orElseThrow()
              .toString();
    }
    List<String> command = new ArrayList<>(List.of("java"));
    command.addAll(List.of(Files.readString(dist.resolve("jvm.options")).trim().split("\\s+")));
    command.addAll(
        List.of(
            "-Xmx1500m",
            "-Duser.timezone=UTC",
            "-Dlog4j2.configurationFile=" + root.resolve("conf/log4j2.properties"),
            "-Dplumb.log.file=" + dir.resolve("plumb.log"),
            "-cp",
            jar + ":" + dist.resolve("lib") + "/*",
            "dev.plumb.jobs.Plumb"));
    command.addAll(
        PipelineIT.demoArgs(
            job,
            dir,
            concat(
                sets,
                "demo.rows=20000",
                "demo.days=3",
                "train.num_round=400",
                "train.early_stopping_rounds=0",
                "train.eta=0.01",
                "tracking.mode=none")));
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().remove("MLFLOW_TRACKING_URI");
    pb.environment().putAll(env);
    return new Job(pb.start());
  }

  private static String[] concat(String[] a, String... b) {
    List<String> all = new ArrayList<>(List.of(a));
    all.addAll(List.of(b));
    return all.toArray(new String[0]);
  }

  static JsonNode report(Path dir) throws IOException {
    return JSON.readTree(dir.resolve("reports/ingest-report.json").toFile());
  }

  /** After a rerun: every row read is in exactly one table, and only the rerun's rows are there. */
  static void assertExactCounts(SparkSession spark, Path dir) throws IOException {
    JsonNode r = report(dir);
    long read = r.get("rows_read").asLong();
    long clean = r.get("rows_clean").asLong();
    long quarantined = r.get("rows_quarantined").asLong();
    assertThat(read).isEqualTo(20_008);
    assertThat(clean + quarantined).isEqualTo(read);
    assertThat(spark.read().format("delta").load(dir.resolve("tables/clean").toString()).count())
        .isEqualTo(clean);
    var q = spark.read().format("delta").load(dir.resolve("tables/quarantine").toString());
    assertThat(q.count()).isEqualTo(quarantined);
    assertThat(
            q.select("_ingest_run_id")
                .distinct()
                .as(org.apache.spark.sql.Encoders.STRING())
                .collectAsList())
        .containsExactly(r.get("ingest_run_id").asText());
  }

  static List<String> commits(Path table) throws IOException {
    Path log = table.resolve("_delta_log");
    if (!Files.isDirectory(log)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(log)) {
      return files
          .map(p -> p.getFileName().toString())
          .filter(n -> n.matches("\\d{20}\\.json"))
          .sorted()
          .toList();
    }
  }

  @Test
  @Order(1)
  void killedInsideTheCleanWriteARerunCompletesWithExactCounts(SparkSession spark)
      throws Exception {
    Path dir = work.resolve("a");
    Job killed = start(dir, Map.of("PLUMB_FAULT_PAUSE_AT", "ingest.clean_write"), "demo");
    killed.awaitLine("plumb-fault-point ingest.clean_write", START_TO_POINT);
    Thread.sleep(1500); // the other task finishes its file
    killed.process.destroyForcibly(); // SIGKILL
    killed.await();
    // Caught half done: data files of the killed attempt, no commit.
    assertThat(commits(dir.resolve("tables/clean"))).isEmpty();
    try (Stream<Path> files = Files.list(dir.resolve("tables/clean"))) {
      assertThat(files.filter(p -> p.toString().endsWith(".parquet")).count()).isPositive();
    }

    Job rerun = start(dir, Map.of(), "ingest");
    assertThat(rerun.await()).as(rerun.output()).isZero();
    assertExactCounts(spark, dir);
  }

  @Test
  @Order(2)
  void killedBetweenTheCleanAndQuarantineCommitsARerunCompletesWithExactCounts(SparkSession spark)
      throws Exception {
    Path dir = work.resolve("b");
    Job killed = start(dir, Map.of("PLUMB_FAULT_PAUSE_AT", "ingest.between_commits"), "demo");
    killed.awaitLine("plumb-fault-point ingest.between_commits", START_TO_POINT);
    killed.process.destroyForcibly();
    killed.await();
    assertThat(commits(dir.resolve("tables/clean"))).hasSize(1);
    assertThat(commits(dir.resolve("tables/quarantine"))).isEmpty();
    assertThat(dir.resolve("reports/ingest-report.json")).doesNotExist();

    Job rerun = start(dir, Map.of(), "ingest");
    assertThat(rerun.await()).as(rerun.output()).isZero();
    assertExactCounts(spark, dir);
  }

  @Test
  @Order(3)
  void killedBetweenTheFeatureDataAndItsManifestTheVersionIsRebuiltNeverReused() throws Exception {
    Path dir = work.resolve("b");
    Job killed = start(dir, Map.of("PLUMB_FAULT_PAUSE_AT", "features.before_manifest"), "features");
    killed.awaitLine("plumb-fault-point features.before_manifest", START_TO_POINT);
    killed.process.destroyForcibly();
    killed.await();

    PipelineIT.Outcome listed = listFeatures(dir);
    assertThat(listed.out()).contains("incomplete");

    Job rerun = start(dir, Map.of(), "features");
    assertThat(rerun.await()).as(rerun.output()).isZero();
    assertThat(rerun.output()).contains("(built)").doesNotContain("reused");
    assertThat(listFeatures(dir).out()).doesNotContain("incomplete");
  }

  private static PipelineIT.Outcome listFeatures(Path dir) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
    List<String> args = new ArrayList<>(List.of("features", "list"));
    List<String> demo = PipelineIT.demoArgs("x", dir);
    args.addAll(demo.subList(1, demo.size()));
    int code =
        dev.plumb.jobs.Plumb.run(
            args.toArray(new String[0]),
            Map.of(),
            new java.io.PrintStream(out, true, StandardCharsets.UTF_8),
            new java.io.PrintStream(err, true, StandardCharsets.UTF_8));
    assertThat(code).as(err.toString(StandardCharsets.UTF_8)).isZero();
    return new PipelineIT.Outcome(
        code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  @Test
  @Order(4)
  void sigtermMidTrainingPrintsOneLineAndNoStackTrace() throws Exception {
    Path dir = work.resolve("b");
    Job job = start(dir, Map.of(), "train");
    job.awaitLine("train: XGBoost", START_TO_POINT);
    Thread.sleep(1000);
    // SIGTERM through kill(1): Process.destroy() would also close the pipe we read from.
    Process kill =
        new ProcessBuilder("kill", "-TERM", String.valueOf(job.process.pid())).inheritIO().start();
    assertThat(kill.waitFor()).isZero();
    int code = job.await();
    assertThat(code).isNotZero();
    String out = job.output();
    assertThat(out).contains("plumb train: stopped by a signal before it finished");
    assertThat(out).doesNotContain("\tat ").doesNotContain("Exception in thread");
    assertThat(Files.readString(dir.resolve("plumb.log"))).isNotEmpty();
  }

  @Test
  @Order(5)
  void theLauncherReadsTrackingFromTheConfigFile() throws Exception {
    Path root = MlflowServer.root();
    int closed = StorageServers.freePort();
    for (String tracking : List.of("  mode: none\n", "  uri: http://127.0.0.1:" + closed + "\n")) {
      Path conf = work.resolve("launcher.yaml");
      Files.writeString(
          conf,
          "work_dir: "
              + work.resolve("launcher")
              + "\ningest:\n  input: "
              + work.resolve("no-such-input")
              + "\n  contract: "
              + root.resolve("conf/contracts/demo.yaml")
              + "\ntracking:\n"
              + tracking);
      ProcessBuilder pb =
          new ProcessBuilder(root.resolve("plumb").toString(), "ingest", "--conf", conf.toString())
              .redirectErrorStream(true);
      pb.environment().remove("MLFLOW_TRACKING_URI");
      pb.environment().put("PLUMB_NO_BUILD", "1");
      Job launcher = new Job(pb.start());
      int code = launcher.await();
      String out = launcher.output();
      assertThat(out)
          .as(tracking)
          .doesNotContain("MLflow tracking server at http://127.0.0.1:5055");
      assertThat(code).as(out).isEqualTo(1);
      assertThat(out)
          .contains(
              tracking.contains("none")
                  ? "path '" + work.resolve("no-such-input") + "' does not exist"
                  : "Cannot reach the MLflow tracking server at http://127.0.0.1:" + closed);
    }
  }
}

package dev.plumb.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.plumb.jobs.Plumb;
import dev.plumb.testing.SharedSpark;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.FileUtil;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole pipeline with every input, table, feature set, model, report and config file on {@code
 * s3a://} (moto's S3 server on 127.0.0.1) and on {@code hdfs://} (an in-process MiniDFSCluster),
 * tracked in a real MLflow server: the same feature-set version, the same model bytes and the same
 * row counts as the run on the local disk.
 */
@ExtendWith({SharedSpark.class, MlflowServerExtension.class})
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class StorageIT {

  private static final Pattern RUN_URL = Pattern.compile("/#/experiments/(\\d+)/runs/([0-9a-f]+)");
  private static final String BUCKET = "plumb-it";

  @TempDir static Path work;
  static MlflowServer mlflow;
  static StorageServers.S3 s3;
  static MiniDFSCluster hdfs;
  static Reference local;

  /** What a run left in its store. */
  record Reference(String featureVersion, byte[] model, long cleanRows, long quarantinedRows) {}

  record Outcome(int code, String out, String err) {}

  @BeforeAll
  static void start(MlflowServer server, SparkSession spark) throws Exception {
    mlflow = server;
    s3 = StorageServers.S3.start(work.resolve("s3-log"));
    s3.createBucket(BUCKET);
    s3.configure(spark.sparkContext().hadoopConfiguration());
    hdfs = StorageServers.hdfs(work.resolve("hdfs"));
  }

  @AfterAll
  static void stop() {
    if (s3 != null) {
      s3.close();
    }
    if (hdfs != null) {
      hdfs.shutdown();
    }
  }

  static Outcome plumb(List<String> args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code =
        Plumb.run(
            args.toArray(new String[0]),
            Map.of("MLFLOW_TRACKING_URI", mlflow.uri()),
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Outcome(
        code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  /** A job with {@code conf}, the demo's small settings, then {@code sets}. */
  static List<String> args(String job, String conf, String... sets) {
    List<String> args = new ArrayList<>(List.of(job, "--conf", conf));
    List<String> all = new ArrayList<>();
    all.add("demo.rows=20000");
    all.add("demo.days=3");
    all.add("train.num_round=25");
    all.add("tracking.experiment=plumb-storage-it");
    all.addAll(List.of(sets));
    for (String s : all) {
      args.add("--set");
      args.add(s);
    }
    return args;
  }

  static Reference reference(SparkSession spark, String workDir) throws Exception {
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    String version = text(conf, workDir + "/features/demo/LATEST");
    String modelId = text(conf, workDir + "/models/LATEST");
    byte[] model = bytes(conf, workDir + "/models/" + modelId + "/model.ubj");
    long clean = spark.read().format("delta").load(workDir + "/tables/clean").count();
    long quarantined = spark.read().format("delta").load(workDir + "/tables/quarantine").count();
    return new Reference(version, model, clean, quarantined);
  }

  static byte[] bytes(Configuration conf, String location) throws Exception {
    org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(location);
    try (InputStream in = p.getFileSystem(conf).open(p)) {
      return in.readAllBytes();
    }
  }

  static String text(Configuration conf, String location) throws Exception {
    return new String(bytes(conf, location), StandardCharsets.UTF_8).trim();
  }

  /**
   * Copies the demo data and the shipped config, contract, feature spec and evaluation spec to
   * {@code root}, keeping their layout (the feature spec resolves relative to the config).
   */
  static void upload(SparkSession spark, String root) throws Exception {
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    FileSystem localFs = FileSystem.getLocal(conf);
    org.apache.hadoop.fs.Path target = new org.apache.hadoop.fs.Path(root);
    FileSystem remote = target.getFileSystem(conf);
    FileUtil.copy(
        localFs,
        new org.apache.hadoop.fs.Path(work.resolve("local/demo-data").toUri()),
        remote,
        new org.apache.hadoop.fs.Path(root + "/input"),
        false,
        conf);
    for (String f :
        List.of(
            "local.yaml",
            "contracts/demo.yaml",
            "features/demo.yaml",
            "eval/demo.yaml",
            "tune/demo.yaml",
            "monitor/demo.yaml")) {
      FileUtil.copy(
          localFs,
          new org.apache.hadoop.fs.Path(MlflowServer.root().resolve("conf").resolve(f).toUri()),
          remote,
          new org.apache.hadoop.fs.Path(root + "/conf/" + f),
          false,
          conf);
    }
  }

  /** The pipeline on {@code root} with config files from there; checked against the local run. */
  static void runRemote(SparkSession spark, String root) throws Exception {
    upload(spark, root);
    Outcome o =
        plumb(
            args(
                "pipeline",
                root + "/conf/local.yaml",
                "work_dir=" + root + "/work",
                "ingest.input=" + root + "/input",
                "ingest.contract=" + root + "/conf/contracts/demo.yaml",
                "evaluate.spec=" + root + "/conf/eval/demo.yaml",
                "tune.spec=" + root + "/conf/tune/demo.yaml",
                "monitor.spec=" + root + "/conf/monitor/demo.yaml"));
    assertThat(o.code()).as(o.err()).isZero();
    Reference remote = reference(spark, root + "/work");
    assertThat(remote.featureVersion()).isEqualTo(local.featureVersion());
    assertThat(remote.model()).isEqualTo(local.model());
    assertThat(remote.cleanRows()).isEqualTo(local.cleanRows());
    assertThat(remote.quarantinedRows()).isEqualTo(local.quarantinedRows());

    // The MLflow run's artifacts were read from the remote store and logged.
    Matcher m = RUN_URL.matcher(o.out());
    assertThat(m.find()).as(o.out()).isTrue();
    List<String> artifacts = new ArrayList<>();
    for (String dir : List.of("ingest", "features", "model", "evaluation")) {
      JsonNode files =
          mlflow.get("/api/2.0/mlflow/artifacts/list", "run_id", m.group(2), "path", dir);
      files.path("files").forEach(f -> artifacts.add(f.get("path").asText()));
    }
    assertThat(artifacts)
        .contains(
            "ingest/ingest-report.json",
            "features/manifest.json",
            "model/MLmodel",
            "model/model.ubj",
            "evaluation/evaluation.json");
    // Nothing landed on the local disk under a folder named after the scheme.
    String scheme = root.substring(0, root.indexOf(':'));
    assertThat(Path.of(scheme + ":")).doesNotExist();
    assertThat(Path.of(".plumb/work")).doesNotExist();
  }

  @Test
  @Order(1)
  void theLocalRunIsTheReference(SparkSession spark) throws Exception {
    Path dir = work.resolve("local");
    Outcome o =
        plumb(
            args(
                "demo",
                MlflowServer.root().resolve("conf/local.yaml").toString(),
                "work_dir=" + dir,
                "ingest.input=" + dir.resolve("demo-data"),
                "ingest.contract=" + MlflowServer.root().resolve("conf/contracts/demo.yaml"),
                "tracking.mode=none"));
    assertThat(o.code()).as(o.err()).isZero();
    local = reference(spark, dir.toString());
    assertThat(local.cleanRows()).isGreaterThan(19_000);
    assertThat(local.quarantinedRows()).isPositive();
  }

  @Test
  @Order(2)
  void thePipelineRunsOnS3WithTheSameVersionModelAndCounts(SparkSession spark) throws Exception {
    runRemote(spark, "s3a://" + BUCKET + "/plumb");
  }

  @Test
  @Order(3)
  void thePipelineRunsOnHdfsWithTheSameVersionModelAndCounts(SparkSession spark) throws Exception {
    runRemote(spark, "hdfs://127.0.0.1:" + hdfs.getNameNodePort() + "/plumb");
  }

  @Test
  @Order(4)
  void anUnsupportedSchemeIsABadConfigNamingKeyAndUri() {
    long start = System.nanoTime();
    Outcome o =
        plumb(
            args(
                "pipeline",
                MlflowServer.root().resolve("conf/local.yaml").toString(),
                "work_dir=nosuch://bucket/plumb",
                "tracking.mode=none"));
    assertThat(o.code()).isEqualTo(2);
    assertThat(o.err())
        .contains("work_dir (from --set)")
        .contains("nosuch://bucket/plumb")
        .contains("no Hadoop FileSystem for scheme 'nosuch'");
    assertThat((System.nanoTime() - start) / 1e9).isLessThan(20);
    assertThat(Path.of("nosuch:")).doesNotExist();
  }

  @Test
  @Order(5)
  void aBucketThatDoesNotExistFailsTheJobNamingIt(SparkSession spark) throws Exception {
    long start = System.nanoTime();
    Outcome o =
        plumb(
            args(
                "pipeline",
                MlflowServer.root().resolve("conf/local.yaml").toString(),
                "work_dir=s3a://no-such-bucket-plumb/work",
                "ingest.input=s3a://" + BUCKET + "/plumb/input",
                "ingest.contract=" + MlflowServer.root().resolve("conf/contracts/demo.yaml"),
                "tracking.mode=none"));
    assertThat(o.code()).isEqualTo(1);
    assertThat(o.err()).contains("no-such-bucket-plumb");
    assertThat((System.nanoTime() - start) / 1e9).isLessThan(60);
    assertThat(Files.exists(Path.of("s3a:"))).isFalse();
  }
}

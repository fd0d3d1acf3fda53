package dev.plumb.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Databricks and EMR recipes under {@code cluster/} against the platforms' own client models
 * (the Databricks SDK's job settings, botocore's EMR request validation) and against the built
 * jars, through {@code cluster/check_recipes.py} in the project's venv: the recipes as they are
 * pass; copies with a wrong main class, an unknown config key, an unknown Plumb option and an
 * unknown EMR API field fail, each named.
 */
class RecipesIT {

  @TempDir Path work;

  /** The checker's exit code, stdout and stderr. */
  record Result(int exitCode, String out, String err) {}

  static Result check(String... extraArgs) throws Exception {
    Path root = MlflowServer.root();
    List<String> cmd =
        new ArrayList<>(
            List.of(
                MlflowServer.python().toString(),
                root.resolve("cluster/check_recipes.py").toString(),
                "--root",
                root.toString(),
                "--java",
                ProcessHandle.current().info().command().orElse("java")));
    cmd.addAll(List.of(extraArgs));
    Process p = new ProcessBuilder(cmd).directory(root.toFile()).start();
    // Both streams are small; read stderr on its own thread so neither pipe can fill up.
    CompletableFuture<String> err = new CompletableFuture<>();
    Thread reader =
        new Thread(
            () -> {
              try {
                err.complete(new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
              } catch (IOException e) {
                err.completeExceptionally(e);
              }
            });
    reader.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(5, TimeUnit.MINUTES)).as("check_recipes.py finished").isTrue();
    return new Result(p.exitValue(), out, err.get(1, TimeUnit.MINUTES));
  }

  @Test
  void theRecipesMatchThePlatformsModelsAndTheBuild() throws Exception {
    Result r = check();
    assertThat(r.exitCode()).as(r.out() + r.err()).isZero();
    assertThat(r.out())
        .contains("checked cluster/databricks/databricks.yml: job plumb_cpu")
        .contains("checked cluster/databricks/databricks.yml: job plumb_gpu")
        .contains("checked cluster/emr/run-job-flow-cpu.json")
        .contains("checked cluster/emr/run-job-flow-gpu.json")
        .contains("checked cluster/emr/add-job-flow-steps-cpu.json")
        .contains("checked cluster/emr/add-job-flow-steps-gpu.json")
        .contains("checked cluster/gpu/submit-gpu.sh")
        .contains("checked cluster/kubernetes/submit-k8s.sh")
        .contains("recipes OK: 8 checked against plumb-jobs-")
        .contains("-spark-submit-gpu.jar");
    assertThat(r.err()).doesNotContain("MISMATCH");
  }

  @Test
  void brokenCopiesOfTheRecipesFailNamingEachMismatch() throws Exception {
    Path root = MlflowServer.root();
    String cpuJar = SparkSubmitIT.submitJar().getFileName().toString();
    Path cluster = copy(root.resolve("cluster"), work.resolve("cluster"));
    Path conf = copy(root.resolve("conf"), work.resolve("conf"));

    edit(
        cluster.resolve("databricks/databricks.yml"),
        "main_class_name: dev.plumb.jobs.Plumb\n",
        "main_class_name: dev.plumb.jobs.NoSuchMain\n");
    edit(conf.resolve("emr.yaml"), "  max_depth: 6\n", "  max_dpeth: 6\n");
    edit(
        cluster.resolve("emr/add-job-flow-steps-gpu.json"),
        "\"pipeline\",\n",
        "\"pipeline\",\n          \"--no-such-option\",\n");
    edit(
        cluster.resolve("emr/run-job-flow-cpu.json"),
        "\"KeepJobFlowAliveWhenNoSteps\": true",
        "\"KeepClusterAlive\": true");

    edit(
        cluster.resolve("kubernetes/submit-k8s.sh"),
        "--packages io.delta:delta-spark_2.12:3.3.2",
        "--packages io.delta:delta-spark_2.12:3.2.0");
    edit(
        cluster.resolve("kubernetes/submit-k8s.sh"),
        "submit-k8s.sh pipeline --conf",
        "submit-k8s.sh pipeline --no-such-flag --conf");

    Result r = check("--cluster-dir", cluster.toString(), "--conf-dir", conf.toString());

    assertThat(r.exitCode()).as(r.out() + r.err()).isEqualTo(1);
    List<String> mismatches = r.err().lines().filter(l -> l.startsWith("MISMATCH ")).toList();
    // Exactly the six broken things, nothing else; the lists that follow an unknown option or
    // field come from Plumb --help and botocore's EMR model, so only their start is fixed here.
    assertThat(mismatches)
        .as(r.err())
        .hasSize(6)
        .contains(
            "MISMATCH cluster/kubernetes/submit-k8s.sh: --packages names Delta 3.2.0; the build has"
                + " 3.3.2",
            "MISMATCH cluster/databricks/databricks.yml: resources.jobs.plumb_cpu.tasks[plumb]: main"
                + " class dev.plumb.jobs.NoSuchMain is not in "
                + cpuJar
                + " (use dev.plumb.jobs.Plumb)",
            "MISMATCH conf/emr.yaml: config file: unknown config key 'train.max_dpeth' (not in 'Plumb"
                + " keys' of "
                + cpuJar
                + ")")
        .anySatisfy(
            l ->
                assertThat(l)
                    .startsWith(
                        "MISMATCH cluster/emr/add-job-flow-steps-gpu.json: unknown Plumb option"
                            + " '--no-such-option' (Plumb --help lists --")
                    .contains("--conf, ")
                    .contains("--set"))
        .anySatisfy(
            l ->
                assertThat(l)
                    .startsWith(
                        "MISMATCH cluster/emr/run-job-flow-cpu.json: RunJobFlow: Unknown parameter"
                            + " in Instances: \"KeepClusterAlive\", must be one of: ")
                    .contains("KeepJobFlowAliveWhenNoSteps"))
        .anySatisfy(
            l ->
                assertThat(l)
                    .startsWith(
                        "MISMATCH cluster/kubernetes/submit-k8s.sh: unknown Plumb option"
                            + " '--no-such-flag'"));
    assertThat(r.err()).contains("recipes: 6 mismatch(es)");
  }

  static Path copy(Path from, Path to) throws IOException {
    try (Stream<Path> files = Files.walk(from)) {
      for (Path source : (Iterable<Path>) files::iterator) {
        Path target = to.resolve(from.relativize(source).toString());
        if (Files.isDirectory(source)) {
          Files.createDirectories(target);
        } else {
          Files.copy(source, target);
        }
      }
    }
    return to;
  }

  /** Replaces the first occurrence, failing when the text is not there. */
  static void edit(Path file, String from, String to) throws IOException {
    String text = Files.readString(file, StandardCharsets.UTF_8);
    assertThat(text).as(file + " contains " + from).contains(from);
    Files.writeString(
        file,
        text.replaceFirst(Pattern.quote(from), Matcher.quoteReplacement(to)),
        StandardCharsets.UTF_8);
  }
}

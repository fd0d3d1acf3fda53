package dev.plumb.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every shipped job config loads: known keys, well-typed values, its feature spec and training spec
 * valid.
 */
class ConfFilesTest {

  static Stream<Path> configs() throws IOException {
    try (Stream<Path> files = Files.list(Path.of("..", "conf").toAbsolutePath().normalize())) {
      return files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList().stream();
    }
  }

  @ParameterizedTest
  @MethodSource("configs")
  void shippedConfigsLoadAndValidate(Path file) {
    PlumbConfig config = PlumbConfig.load(file.toString(), platformOverrides(file), Map.of());
    assertThat(config.featureSetSpec().name()).isEqualTo("demo");
    assertThat(config.featureSetSpec().features()).hasSizeGreaterThanOrEqualTo(6);
    assertThat(config.trainingSpec().objective()).isEqualTo("binary:logistic");
  }

  /**
   * The platform configs (Databricks, EMR, Kubernetes) name files on a volume or bucket where
   * {@code conf/} is uploaded as a whole: each such file must be this repository's file under the
   * same relative path; it is then checked from here, with the tables and work dir in a local
   * folder.
   */
  static List<String> platformOverrides(Path file) {
    String name = file.getFileName().toString();
    if (!name.startsWith("databricks")
        && !name.startsWith("emr")
        && !name.startsWith("kubernetes")) {
      return List.of();
    }
    PlumbConfig raw;
    try {
      raw = PlumbConfig.load(file.toString(), LOCAL_FILES, Map.of());
    } catch (RuntimeException e) {
      throw new AssertionError(file + " does not load: " + e.getMessage(), e);
    }
    java.util.List<String> sets = new java.util.ArrayList<>(LOCAL_FILES);
    for (String key : List.of("ingest.contract", "evaluate.spec")) {
      String remote = rawValue(file, key);
      String local =
          key.equals("ingest.contract") ? "conf/contracts/demo.yaml" : "conf/eval/demo.yaml";
      assertThat(remote).as(key + " in " + name).endsWith("/" + local);
    }
    assertThat(raw.string("tracking.mode")).isEqualTo("mlflow");
    return sets;
  }

  private static final List<String> LOCAL_FILES =
      List.of(
          "work_dir=" + Path.of("target", "conf-check").toAbsolutePath(),
          "ingest.input=" + Path.of("target", "conf-check", "data").toAbsolutePath(),
          "ingest.contract=" + Path.of("..", "conf", "contracts", "demo.yaml").toAbsolutePath(),
          "evaluate.spec=" + Path.of("..", "conf", "eval", "demo.yaml").toAbsolutePath());

  /** A key's value as the file writes it (nested YAML, two levels). */
  private static String rawValue(Path file, String key) {
    String[] parts = key.split("\\.");
    try {
      Map<String, Object> yaml = new org.yaml.snakeyaml.Yaml().load(Files.readString(file));
      Object section = yaml.get(parts[0]);
      return section instanceof Map<?, ?> m ? String.valueOf(m.get(parts[1])) : "";
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @org.junit.jupiter.api.Test
  void theShippedConfigsAreAllFound() throws IOException {
    assertThat(configs().map(p -> p.getFileName().toString()))
        .contains("local.yaml", "standalone.yaml", "gpu.yaml");
  }
}

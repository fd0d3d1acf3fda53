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
    PlumbConfig config = PlumbConfig.load(file.toString(), List.of(), Map.of());
    assertThat(config.featureSetSpec().name()).isEqualTo("demo");
    assertThat(config.featureSetSpec().features()).hasSizeGreaterThanOrEqualTo(6);
    assertThat(config.trainingSpec().objective()).isEqualTo("binary:logistic");
  }

  @org.junit.jupiter.api.Test
  void theShippedConfigsAreAllFound() throws IOException {
    assertThat(configs().map(p -> p.getFileName().toString()))
        .contains("local.yaml", "standalone.yaml", "gpu.yaml");
  }
}

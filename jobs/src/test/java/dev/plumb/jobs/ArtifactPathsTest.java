package dev.plumb.jobs;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ArtifactPathsTest {

  @ParameterizedTest
  @ValueSource(
      strings = {
        "model/model.ubj",
        "evaluation/evaluation.html",
        "config/resolved-config.yaml",
        "a b/c+d.json",
        "model/..hidden/x"
      })
  void relativePathsInsideTheRootPass(String path) {
    assertThatCode(() -> ArtifactPaths.check(path)).doesNotThrowAnyException();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "../etc/passwd",
        "model/../../x",
        "/etc/passwd",
        "\\\\server\\share",
        "C:/Windows/x",
        "file:/tmp/x",
        "%2e%2e/x",
        "model/%2E%2E/%2e%2e/x",
        "%252e%252e/x",
        "%2fetc/passwd",
        "model\\..\\x",
        "model/a%00b",
        ""
      })
  void traversalAbsoluteAndEncodedPathsAreRejected(String path) {
    assertThatThrownBy(() -> ArtifactPaths.check(path))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("Cannot log artifact '" + path + "': ")
        .hasMessageContaining("stay inside the run's artifact root");
  }
}

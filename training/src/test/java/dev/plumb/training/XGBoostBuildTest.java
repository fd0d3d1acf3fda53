package dev.plumb.training;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class XGBoostBuildTest {

  @Test
  void theTestClasspathHasTheCpuBuildAndSaysWhereFrom() {
    XGBoostBuild build = XGBoostBuild.current();
    assertThat(build.gpu()).isFalse();
    assertThat(build.version()).matches("\\d+\\.\\d+\\.\\d+");
    assertThat(build.location())
        .contains("xgboost4j-spark_2.1")
        .endsWith("-" + build.version() + ".jar");
    assertThat(build.describe())
        .isEqualTo("XGBoost4J-Spark " + build.version() + " CPU build, from " + build.location());
  }
}

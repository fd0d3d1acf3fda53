package dev.plumb.training;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.pmod;
import static org.apache.spark.sql.functions.when;
import static org.apache.spark.sql.functions.xxhash64;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.plumb.testing.SharedSpark;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(SharedSpark.class)
class XGBoostPassThroughTest {

  @Test
  void unknownOwnedAndIllTypedSettingsFailNamingTheKey() {
    assertThatThrownBy(() -> XGBoostPassThrough.check(Map.of("subsampel", "0.8")))
        .hasMessageContaining("train.params.subsampel")
        .hasMessageContaining("did you mean train.params.subsample?");
    assertThatThrownBy(() -> XGBoostPassThrough.check(Map.of("foo", "1")))
        .hasMessageContaining("train.params.foo")
        .hasMessageContaining("a parameter XGBoost4J-Spark knows");
    assertThatThrownBy(() -> XGBoostPassThrough.check(Map.of("subsample", "most")))
        .hasMessageContaining("train.params.subsample")
        .hasMessageContaining("a number");
    // XGBoost's own range: subsample is in (0, 1].
    assertThatThrownBy(() -> XGBoostPassThrough.check(Map.of("subsample", "1.5")))
        .hasMessageContaining("train.params.subsample");
    assertThatThrownBy(() -> XGBoostPassThrough.check(Map.of("eta", "0.1")))
        .hasMessageContaining("Plumb sets eta from train.eta");
    assertThat(XGBoostPassThrough.known()).contains("subsample", "colsample_bytree", "max_bin");
    assertThat(XGBoostPassThrough.known()).doesNotContain("eta", "objective");
    assertThat(XGBoostPassThrough.known()).containsAll(XGBoostPassThrough.COMMON);
  }

  @Test
  void valuesAreTypedAsXGBoostDeclaresThem() {
    Map<String, Object> p =
        XGBoostPassThrough.check(
            Map.of(
                "subsample", "0.8",
                "max_bin", "64",
                "grow_policy", "lossguide",
                "lambda", "2"));
    assertThat(p)
        .containsEntry("subsample", 0.8)
        .containsEntry("max_bin", 64)
        .containsEntry("grow_policy", "lossguide")
        .containsEntry("lambda", 2.0);
  }

  @Test
  void constraintsAreGivenByFeatureName() {
    assertThat(XGBoostPassThrough.monotone("x3:-1, x1:1", List.of("x1", "x2", "x3")))
        .containsExactly(1, 0, -1);
    assertThat(XGBoostPassThrough.interactions("[[x1, x3], [x2]]", List.of("x1", "x2", "x3")))
        .isEqualTo("[[0,2],[1]]");
    assertThatThrownBy(() -> XGBoostPassThrough.monotone("x9:1", List.of("x1", "x2")))
        .hasMessageContaining("'x9' is not one");
    assertThatThrownBy(() -> XGBoostPassThrough.monotone("x1:up", List.of("x1", "x2")))
        .hasMessageContaining("a direction of 1, -1 or 0");
  }

  /**
   * The label peaks in the middle of x1: unconstrained trees follow it, constrained ones cannot.
   */
  static Dataset<Row> humped(SparkSession spark, long rows, long seed) {
    Column u1 = pmod(xxhash64(lit(seed), col("id")), lit(1000)).cast("double").divide(1000);
    Column u2 = pmod(xxhash64(lit(seed + 1), col("id")), lit(1000)).cast("double").divide(1000);
    Column u3 = pmod(xxhash64(lit(seed + 2), col("id")), lit(1000)).cast("double").divide(1000);
    Column p = when(u1.between(0.4, 0.6), 0.9).otherwise(when(u1.gt(0.6), 0.3).otherwise(0.1));
    return spark
        .range(rows)
        .toDF()
        .withColumn("x1", u1)
        .withColumn("x2", u2)
        .withColumn("label", when(u3.lt(p), 1.0).otherwise(0.0));
  }

  private static double[] scoresAlongX1(byte[] booster, SparkSession spark) {
    Dataset<Row> grid =
        spark
            .range(0, 100)
            .toDF()
            .withColumn("x1", col("id").cast("double").divide(100))
            .withColumn("x2", lit(0.5));
    List<Row> rows =
        ModelFiles.score(booster, List.of("x1", "x2"), grid, 0).orderBy("id").collectAsList();
    double[] out = new double[rows.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = ((Number) rows.get(i).getAs(ModelFiles.SCORE)).doubleValue();
    }
    return out;
  }

  @Test
  void aMonotoneConstraintByNameReachesXGBoost(SparkSession spark) {
    Dataset<Row> train = humped(spark, 4000, 11);
    Dataset<Row> validation = humped(spark, 1000, 12);
    TrainingSpec free = XGBoostTrainerTest.spec(30, 0);
    TrainingSpec constrained =
        free.withParams(
            XGBoostPassThrough.check(Map.of("monotone_constraints", "x1:1", "subsample", "0.9")));
    double[] f =
        scoresAlongX1(
            XGBoostTrainer.train(train, validation, free, "label", List.of("x1", "x2")).booster(),
            spark);
    TrainedModel c =
        XGBoostTrainer.train(train, validation, constrained, "label", List.of("x1", "x2"));
    double[] m = scoresAlongX1(c.booster(), spark);
    // Unconstrained: the score falls after the hump. Constrained: never falls along x1.
    assertThat(f[50]).isGreaterThan(f[90] + 0.2);
    for (int i = 1; i < m.length; i++) {
      assertThat(m[i]).as("score at x1=%d/100", i).isGreaterThanOrEqualTo(m[i - 1] - 1e-7);
    }
    assertThat(c.params()).containsEntry("monotone_constraints", "x1:1");
    assertThat(c.params()).containsEntry("subsample", "0.9");
  }
}

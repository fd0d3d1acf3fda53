package dev.plumb.features;

import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.plumb.features.ingest.DataFingerprint;
import dev.plumb.testing.SharedSpark;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(SharedSpark.class)
class FeatureSetBuilderTest {

  static FeatureSetSpec spec() {
    return FeatureSetSpec.ofColumns(
        "t", "label", "id", List.of("amount"), List.of("color"), 0.6, 0.2, 42L);
  }

  static Dataset<Row> rows(SparkSession spark, int n) {
    return spark
        .range(n)
        .selectExpr(
            "id",
            "cast(id % 10 as double) as amount",
            "case when id % 3 = 0 then 'red' when id % 3 = 1 then 'blue' else null end as color",
            "cast(id % 2 as int) as label");
  }

  @Test
  void splitsAreDeterministicAndFollowTheFractions(SparkSession spark) {
    Dataset<Row> data = rows(spark, 20_000);
    Dataset<Row> a = Splits.assign(data, spec());
    Dataset<Row> b = Splits.assign(data.repartition(7), spec());
    long differing =
        a.alias("a")
            .join(b.alias("b"), "id")
            .filter(col("a.split").notEqual(col("b.split")))
            .count();
    assertThat(differing).isZero();
    Map<String, Long> sizes = new java.util.HashMap<>();
    for (Row r : a.groupBy(Splits.COLUMN).count().collectAsList()) {
      sizes.put(r.getString(0), r.getLong(1));
    }
    assertThat(sizes.get("train")).isBetween(11_600L, 12_400L);
    assertThat(sizes.get("validation")).isBetween(3_700L, 4_300L);
    assertThat(sizes.get("test")).isBetween(3_700L, 4_300L);
  }

  @Test
  void categoryLevelsAreFittedOnTheTrainingSplitOnly(SparkSession spark) {
    // 'green' appears only on keys that land outside the train split.
    Dataset<Row> withSplit = Splits.assign(rows(spark, 3000), spec());
    List<Long> notTrain =
        withSplit
            .filter(col("split").notEqual("train"))
            .select("id")
            .limit(5)
            .as(org.apache.spark.sql.Encoders.LONG())
            .collectAsList();
    StructType schema =
        new StructType()
            .add("id", DataTypes.LongType)
            .add("amount", DataTypes.DoubleType)
            .add("color", DataTypes.StringType)
            .add("label", DataTypes.IntegerType);
    Dataset<Row> green =
        spark.createDataFrame(
            notTrain.stream().map(id -> RowFactory.create(id, 1.0, "green", 1)).toList(), schema);
    Dataset<Row> data =
        rows(spark, 3000)
            .filter(org.apache.spark.sql.functions.not(col("id").isin(notTrain.toArray())))
            .union(green);
    FeatureSetBuilder builder = new FeatureSetBuilder(spec());
    FeatureSetBuilder.FeatureSet set = builder.build(data);
    assertThat(set.transform().state().get("color").get("levels"))
        .isEqualTo(List.of("blue", "red"));
    // green (unseen in train) and null share the unseen bucket, index 2.
    List<Row> greens =
        set.table().filter(col("id").isin(notTrain.toArray())).select("color").collectAsList();
    assertThat(greens)
        .hasSize(notTrain.size())
        .allSatisfy(r -> assertThat(r.getDouble(0)).isEqualTo(2.0));
    Row red = set.table().filter(col("id").equalTo(0L)).select("color", "label", "amount").first();
    assertThat(red.getDouble(0)).isEqualTo(1.0);
    assertThat(red.getDouble(1)).isEqualTo(0.0);
  }

  @Test
  void transformRoundTripsThroughJsonAndAppliesIdentically(SparkSession spark) {
    FeatureSetBuilder builder = new FeatureSetBuilder(spec());
    FeatureSetBuilder.FeatureSet set = builder.build(rows(spark, 500));
    FittedTransform back = FittedTransform.fromJson(set.transform().toJson());
    assertThat(back).isEqualTo(set.transform());
    // The training range of the numeric input, from the train split only.
    List<Double> range = back.inputRanges().get("amount");
    Row minMax =
        set.table()
            .filter(col(Splits.COLUMN).equalTo(Splits.TRAIN))
            .agg(
                org.apache.spark.sql.functions.min("amount"),
                org.apache.spark.sql.functions.max("amount"))
            .first();
    assertThat(range).containsExactly(minMax.getDouble(0), minMax.getDouble(1));
    Dataset<Row> again = back.apply(rows(spark, 500)).select("id", "amount", "color");
    assertThat(again.except(set.table().select("id", "amount", "color")).count()).isZero();
  }

  @Test
  void versionsAreContentHashes() {
    FeatureSetVersion a = FeatureSetVersion.of("fp1", spec());
    assertThat(FeatureSetVersion.of("fp1", spec())).isEqualTo(a);
    assertThat(FeatureSetVersion.of("fp2", spec())).isNotEqualTo(a);
    FeatureSetSpec other =
        FeatureSetSpec.ofColumns(
            "t", "label", "id", List.of("amount"), List.of("color"), 0.5, 0.2, 42L);
    assertThat(FeatureSetVersion.of("fp1", other)).isNotEqualTo(a);
    assertThat(a.id()).hasSize(16).matches("[0-9a-f]+");
  }

  @Test
  void theLabelCannotBeAFeatureAndMissingColumnsAreNamed(SparkSession spark) {
    assertThatThrownBy(
            () ->
                FeatureSetSpec.ofColumns(
                    "t", "label", "id", List.of("label"), List.of(), 0.6, 0.2, 1L))
        .hasMessageContaining("label leakage");
    FeatureSetSpec needsMissing =
        FeatureSetSpec.ofColumns(
            "t", "label", "id", List.of("amount", "nope"), List.of(), 0.6, 0.2, 1L);
    assertThatThrownBy(() -> new FeatureSetBuilder(needsMissing).build(rows(spark, 10)))
        .hasMessageContaining("[nope]")
        .hasMessageContaining("Cannot build feature set 't'");
  }

  @Test
  void aFeatureThatAlonePredictsTheLabelFailsTheBuildUnlessAllowed(SparkSession spark) {
    FeatureSetSpec leaky =
        FeatureSetSpec.ofColumns(
            "t", "label", "id", List.of("amount", "copy"), List.of(), 0.6, 0.2, 42L);
    Dataset<Row> data = rows(spark, 2000).withColumn("copy", col("label").multiply(10));
    FeatureSetBuilder builder = new FeatureSetBuilder(leaky);
    Dataset<Row> table = builder.build(data).table();
    assertThatThrownBy(
            () -> builder.checkLeakage(table, List.of("amount", "copy"), 0.99, List.of()))
        .hasMessageContaining("'copy' (ROC-AUC 1.0000)")
        .hasMessageContaining("features.allow_leaky")
        .hasMessageNotContaining("'amount'");
    Map<String, Double> auc =
        builder.checkLeakage(table, List.of("amount", "copy"), 0.99, List.of("copy"));
    assertThat(auc.get("copy")).isEqualTo(1.0);
    // amount = id % 10 and label = id % 2: amount is odd exactly when the label is 1.
    assertThat(auc.get("amount")).isBetween(0.5, 0.99);
  }

  @Test
  void theLeakageGuardsOnePassRocAucEqualsSparkMlsExactOneOnTiesNullsAndNaN(SparkSession spark) {
    // Features with many ties (few distinct values), nulls, NaN, a constant and a negation; rows
    // outside the train split must not count.
    Dataset<Row> table =
        spark
            .range(30_000)
            .selectExpr(
                "case when id % 5 = 0 then 'test' else 'train' end as split",
                "cast(case when pmod(xxhash64(id, 1), 100) < 30 + id % 7 * 5 then 1 else 0 end"
                    + " as double) as label",
                "cast(id % 7 as double) as few",
                "case when id % 11 = 0 then null when id % 13 = 0 then double('NaN')"
                    + " else cast(pmod(xxhash64(id, 2), 1000) as double) / 10 + id % 7 end as holes",
                "cast(1.0 as double) as constant",
                "-cast(id % 7 as double) as negated");
    List<String> names = List.of("few", "holes", "constant", "negated");
    Map<String, Double> auc =
        new FeatureSetBuilder(spec()).checkLeakage(table, names, 0.99, List.of());
    Dataset<Row> train = table.filter(col("split").equalTo("train"));
    for (String f : names) {
      double expected =
          new org.apache.spark.ml.evaluation.BinaryClassificationEvaluator()
              .setLabelCol("label")
              .setRawPredictionCol("s")
              .setNumBins(0)
              .evaluate(
                  train.selectExpr(
                      "label",
                      "case when isnull("
                          + f
                          + ") or isnan("
                          + f
                          + ") then -1.7976931348623157E308"
                          + " else "
                          + f
                          + " end as s"));
      assertThat(auc.get(f)).as(f).isCloseTo(Math.max(expected, 1 - expected), within(1e-12));
    }
    assertThat(auc.get("few")).isGreaterThan(0.6);
    assertThat(auc.get("negated")).isCloseTo(auc.get("few"), within(1e-12));
    assertThat(auc.get("constant")).isEqualTo(0.5);
  }

  @Test
  void countingPerPartitionGivesTheAggregationsRocAucAndStepsAsideAboveItsBound(
      SparkSession spark) {
    // Five partitions; -0.0 next to 0.0 (one value to Spark), null labels (negatives), a
    // continuous feature with thousands of distinct values.
    Dataset<Row> rows =
        spark
            .range(0, 20_000, 1, 5)
            .selectExpr(
                "case when id % 17 = 0 then null else cast(pmod(xxhash64(id, 3), 10) < 3 as double)"
                    + " end as label",
                "case when id % 3 = 0 then -0.0 when id % 3 = 1 then 0.0 else 1.0 end as signed",
                "cast(pmod(xxhash64(id, 4), 5000) as double) / 7 + cast(label as double) as wide");
    org.apache.spark.sql.Column positive = col("label").cast("double").gt(0.5);
    org.apache.spark.sql.Column[] values = {col("signed"), col("wide")};
    double[] counted = SingleFeatureAuc.of(rows, positive, values);
    double[] aggregated = FeatureSetBuilder.aucByAggregation(rows, positive, values);
    assertThat(counted).hasSize(2);
    for (int i = 0; i < 2; i++) {
      assertThat(counted[i]).as("feature %d", i).isCloseTo(aggregated[i], within(1e-12));
    }
    assertThat(counted[1]).isGreaterThan(0.53);
    // Fewer distinct values allowed than the wide feature has in a partition: the caller's path.
    assertThat(SingleFeatureAuc.of(rows, positive, values, 100)).isNull();
  }

  @Test
  void fingerprintsChangeWithAnyFile() {
    DataFingerprint a =
        DataFingerprint.ofFiles(
            List.of(
                new DataFingerprint.FileEntry("b", 10, "1"),
                new DataFingerprint.FileEntry("a", 5, "1")),
            "c");
    DataFingerprint same =
        DataFingerprint.ofFiles(
            List.of(
                new DataFingerprint.FileEntry("a", 5, "1"),
                new DataFingerprint.FileEntry("b", 10, "1")),
            "c");
    DataFingerprint touched =
        DataFingerprint.ofFiles(
            List.of(
                new DataFingerprint.FileEntry("a", 5, "2"),
                new DataFingerprint.FileEntry("b", 10, "1")),
            "c");
    assertThat(same.hash()).isEqualTo(a.hash());
    assertThat(touched.hash()).isNotEqualTo(a.hash());
    assertThat(DataFingerprint.ofFiles(same.files(), "d").hash()).isNotEqualTo(a.hash());
  }
}

package dev.plumb.features;

import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.plumb.testing.SharedSpark;
import java.sql.Timestamp;
import java.util.Arrays;
import java.util.HashMap;
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

/**
 * Every transform on one small fixture, with values computed by hand. The split is by time: ids 1-5
 * are train, 6 validation, 7 test; the outliers (x = 100, 1000) and the categories z, zz live only
 * outside train, so the fitted state must not see them.
 */
@ExtendWith(SharedSpark.class)
class TransformsTest {

  static final StructType SCHEMA =
      new StructType()
          .add("id", DataTypes.LongType)
          .add("label", DataTypes.IntegerType)
          .add("t", DataTypes.TimestampType)
          .add("x", DataTypes.DoubleType)
          .add("c", DataTypes.StringType)
          .add("d", DataTypes.DoubleType);

  static Dataset<Row> fixture(SparkSession spark) {
    List<Row> rows =
        List.of(
            row(1, 0, "2026-01-01 00:00:00", 1.0, "a", 2.0),
            row(2, 1, "2026-01-02 00:00:00", 2.0, "b", 0.0),
            row(3, 0, "2026-01-03 00:00:00", 3.0, "a", 4.0),
            row(4, 1, "2026-01-04 00:00:00", null, null, 1.0),
            row(5, 0, "2026-01-05 00:00:00", 10.0, "b", -2.0),
            row(6, 1, "2026-01-15 12:34:56", 100.0, "z", 5.0),
            row(7, 0, "2026-01-25 06:00:00", 1000.0, "zz", 10.0));
    return spark.createDataFrame(rows, SCHEMA);
  }

  static Row row(long id, int label, String t, Double x, String c, Double d) {
    return RowFactory.create(id, label, Timestamp.valueOf(t), x, c, d);
  }

  static final String SPEC =
      String.join(
          "\n",
          "name: t",
          "label: label",
          "key: id",
          "event_time: t",
          "split: {by: time, validation_from: '2026-01-10', test_from: '2026-01-20'}",
          "features:",
          "  - {name: x, type: numeric}",
          "  - {name: x_mean, type: numeric, column: x, impute: mean}",
          "  - {name: x_median, type: numeric, column: x, impute: median}",
          "  - {name: log_d, type: log1p, column: d}",
          "  - {name: x_clip, type: clip, column: x, min: 1.5, max: 5}",
          "  - {name: x_q, type: quantile_buckets, column: x, buckets: 4}",
          "  - {name: c_idx, type: categorical, column: c}",
          "  - {name: c, type: categorical, encoding: one_hot}",
          "  - {name: x_missing, type: missing_indicator, column: x}",
          "  - {name: x_over_d, type: ratio, left: x, right: d}",
          "  - {name: x_minus_d, type: difference, left: x, right: d}",
          "  - {name: year, type: date_part, column: t, part: year}",
          "  - {name: month, type: date_part, column: t, part: month}",
          "  - {name: day, type: date_part, column: t, part: day}",
          "  - {name: dow, type: date_part, column: t, part: day_of_week}",
          "  - {name: doy, type: date_part, column: t, part: day_of_year}",
          "  - {name: hour, type: date_part, column: t, part: hour}",
          "  - {name: minute, type: date_part, column: t, part: minute}");

  static FeatureSetSpec spec() {
    return FeatureSetSpec.parse(SPEC, "test spec");
  }

  /** Feature values by id. */
  static Map<Long, Row> byId(Dataset<Row> table) {
    Map<Long, Row> out = new HashMap<>();
    for (Row r : table.collectAsList()) {
      out.put(r.getLong(r.fieldIndex("id")), r);
    }
    return out;
  }

  static Double v(Map<Long, Row> rows, long id, String feature) {
    Row r = rows.get(id);
    Object o = r.get(r.fieldIndex(feature));
    return (Double) o;
  }

  @Test
  void timeSplitFollowsTheCutoffs(SparkSession spark) {
    Map<Long, Row> rows = byId(Splits.assign(fixture(spark), spec()));
    for (long id = 1; id <= 5; id++) {
      assertThat(rows.get(id).getString(rows.get(id).fieldIndex("split"))).isEqualTo("train");
    }
    assertThat(rows.get(6L).getString(rows.get(6L).fieldIndex("split"))).isEqualTo("validation");
    assertThat(rows.get(7L).getString(rows.get(7L).fieldIndex("split"))).isEqualTo("test");
    // A row exactly at a cutoff belongs to the later split.
    Dataset<Row> atCutoffs =
        spark.createDataFrame(
            List.of(
                row(8, 0, "2026-01-10 00:00:00", 1.0, "a", 1.0),
                row(9, 0, "2026-01-20 00:00:00", 1.0, "a", 1.0),
                row(10, 0, "2026-01-09 23:59:59.999999", 1.0, "a", 1.0)),
            SCHEMA);
    Map<Long, Row> edge = byId(Splits.assign(atCutoffs, spec()));
    assertThat(edge.get(8L).getString(edge.get(8L).fieldIndex("split"))).isEqualTo("validation");
    assertThat(edge.get(9L).getString(edge.get(9L).fieldIndex("split"))).isEqualTo("test");
    assertThat(edge.get(10L).getString(edge.get(10L).fieldIndex("split"))).isEqualTo("train");
  }

  @Test
  void fittedStateComesFromTheTrainSplitOnly(SparkSession spark) {
    FittedTransform t = new FeatureSetBuilder(spec()).build(fixture(spark)).transform();
    // Train x = 1, 2, 3, 10 (id 4 is null): mean 4, exact median 2.5; the 100 and 1000 of the
    // validation and test rows would move all of these.
    assertThat(t.state().get("x_mean")).isEqualTo(Map.of("impute_value", 4.0));
    assertThat(t.state().get("x_median")).isEqualTo(Map.of("impute_value", 2.5));
    // Quantiles at 1/4, 2/4, 3/4 of [1, 2, 3, 10] by linear interpolation: positions 0.75, 1.5,
    // 2.25 -> 1.75, 2.5, 3 + 0.25 * 7 = 4.75.
    assertThat(t.state().get("x_q")).isEqualTo(Map.of("edges", List.of(1.75, 2.5, 4.75)));
    // z and zz are not train levels.
    assertThat(t.state().get("c_idx")).isEqualTo(Map.of("levels", List.of("a", "b")));
    assertThat(t.state().get("c")).isEqualTo(Map.of("levels", List.of("a", "b")));
    assertThat(t.state().get("x_over_d")).isEmpty();
    assertThat(t.featureNames())
        .containsExactly(
            "x",
            "x_mean",
            "x_median",
            "log_d",
            "x_clip",
            "x_q",
            "c_idx",
            "c_a",
            "c_b",
            "c__unseen",
            "x_missing",
            "x_over_d",
            "x_minus_d",
            "year",
            "month",
            "day",
            "dow",
            "doy",
            "hour",
            "minute");
    assertThat(t.featureTypes())
        .containsEntry("x_q", "quantile_bucket")
        .containsEntry("c_a", "one_hot")
        .containsEntry("c__unseen", "one_hot_unseen")
        .containsEntry("c_idx", "categorical_index")
        .containsEntry("x_mean", "numeric_imputed");
  }

  @Test
  void everyTransformGivesTheHandComputedValues(SparkSession spark) {
    FeatureSetBuilder.FeatureSet set = new FeatureSetBuilder(spec()).build(fixture(spark));
    Dataset<Row> table = set.table();
    assertThat(table.columns())
        .startsWith("id", "label", "split", "x")
        .hasSize(3 + set.transform().featureNames().size());
    assertThat(Arrays.stream(table.schema().fields()).skip(3))
        .allSatisfy(f -> assertThat(f.dataType()).isEqualTo(DataTypes.DoubleType));
    Map<Long, Row> r = byId(table);

    assertThat(v(r, 1, "x")).isEqualTo(1.0);
    assertThat(v(r, 4, "x")).isNull();
    assertThat(v(r, 4, "x_mean")).isEqualTo(4.0);
    assertThat(v(r, 4, "x_median")).isEqualTo(2.5);
    assertThat(v(r, 7, "x_mean")).isEqualTo(1000.0);

    assertThat(v(r, 1, "log_d")).isEqualTo(StrictMath.log1p(2.0)); // ln 3
    assertThat(v(r, 2, "log_d")).isEqualTo(0.0);
    assertThat(v(r, 5, "log_d")).isNull(); // log1p(-2) is undefined

    assertThat(v(r, 1, "x_clip")).isEqualTo(1.5);
    assertThat(v(r, 2, "x_clip")).isEqualTo(2.0);
    assertThat(v(r, 5, "x_clip")).isEqualTo(5.0);
    assertThat(v(r, 4, "x_clip")).isNull();

    // Edges 1.75, 2.5, 4.75: bucket = number of edges <= x.
    assertThat(List.of(v(r, 1, "x_q"), v(r, 2, "x_q"), v(r, 3, "x_q"), v(r, 5, "x_q")))
        .containsExactly(0.0, 1.0, 2.0, 3.0);
    assertThat(v(r, 7, "x_q")).isEqualTo(3.0);
    assertThat(v(r, 4, "x_q")).isNull();

    // Index: a = 0, b = 1, anything else (null, unseen z, zz) = 2.
    assertThat(List.of(v(r, 1, "c_idx"), v(r, 2, "c_idx"), v(r, 4, "c_idx"), v(r, 6, "c_idx")))
        .containsExactly(0.0, 1.0, 2.0, 2.0);
    assertThat(List.of(v(r, 1, "c_a"), v(r, 1, "c_b"), v(r, 1, "c__unseen")))
        .containsExactly(1.0, 0.0, 0.0);
    assertThat(List.of(v(r, 2, "c_a"), v(r, 2, "c_b"), v(r, 2, "c__unseen")))
        .containsExactly(0.0, 1.0, 0.0);
    assertThat(List.of(v(r, 4, "c_a"), v(r, 4, "c_b"), v(r, 4, "c__unseen")))
        .containsExactly(0.0, 0.0, 1.0);
    assertThat(List.of(v(r, 7, "c_a"), v(r, 7, "c_b"), v(r, 7, "c__unseen")))
        .containsExactly(0.0, 0.0, 1.0);

    assertThat(v(r, 4, "x_missing")).isEqualTo(1.0);
    assertThat(v(r, 1, "x_missing")).isEqualTo(0.0);

    assertThat(v(r, 1, "x_over_d")).isEqualTo(0.5);
    assertThat(v(r, 2, "x_over_d")).isNull(); // zero denominator
    assertThat(v(r, 3, "x_over_d")).isEqualTo(0.75);
    assertThat(v(r, 4, "x_over_d")).isNull(); // missing numerator
    assertThat(v(r, 5, "x_over_d")).isEqualTo(-5.0);
    assertThat(v(r, 1, "x_minus_d")).isEqualTo(-1.0);
    assertThat(v(r, 5, "x_minus_d")).isEqualTo(12.0);
    assertThat(v(r, 4, "x_minus_d")).isNull();

    // 2026-01-15 12:34:56 UTC is a Thursday (Sunday = 1), the 15th day of the year.
    assertThat(
            List.of(
                v(r, 6, "year"),
                v(r, 6, "month"),
                v(r, 6, "day"),
                v(r, 6, "dow"),
                v(r, 6, "doy"),
                v(r, 6, "hour"),
                v(r, 6, "minute")))
        .containsExactly(2026.0, 1.0, 15.0, 5.0, 15.0, 12.0, 34.0);
  }

  @Test
  void storedTransformAppliedToTheSameRowsGivesTheSameTable(SparkSession spark) {
    FeatureSetBuilder.FeatureSet set = new FeatureSetBuilder(spec()).build(fixture(spark));
    FittedTransform back = FittedTransform.fromJson(set.transform().toJson());
    assertThat(back).isEqualTo(set.transform());
    Dataset<Row> applied = back.apply(fixture(spark).drop("label"));
    Dataset<Row> stored = set.table().drop("label", "split");
    assertThat(applied.columns()).containsExactly(stored.columns());
    assertThat(applied.exceptAll(stored).count()).isZero();
    assertThat(stored.exceptAll(applied).count()).isZero();
  }

  @Test
  void sameInputsGiveTheSameTableSplitsAndStateOnAnyPartitioning(SparkSession spark) {
    FeatureSetBuilder.FeatureSet a = new FeatureSetBuilder(spec()).build(fixture(spark));
    FeatureSetBuilder.FeatureSet b =
        new FeatureSetBuilder(spec())
            .build(fixture(spark).repartition(3).sortWithinPartitions("x"));
    assertThat(b.transform()).isEqualTo(a.transform());
    assertThat(b.transform().toJson()).isEqualTo(a.transform().toJson());
    assertThat(a.table().exceptAll(b.table()).count()).isZero();
    assertThat(b.table().exceptAll(a.table()).count()).isZero();
    assertThat(FeatureSetVersion.of("fp", FeatureSetSpec.parse(SPEC, "again")))
        .isEqualTo(FeatureSetVersion.of("fp", spec()));
  }

  @Test
  void schemaProblemsAreReportedBeforeAnyJob(SparkSession spark) {
    Dataset<Row> wrong = fixture(spark).withColumn("x", col("x").cast("string"));
    assertThatThrownBy(() -> new FeatureSetBuilder(spec()).checkSchema(wrong.schema()))
        .hasMessageStartingWith("Cannot build feature set 't'")
        .hasMessageContaining("column 'x' must be numeric but was string");
    Dataset<Row> noTime = fixture(spark).drop("t");
    assertThatThrownBy(() -> new FeatureSetBuilder(spec()).checkSchema(noTime.schema()))
        .hasMessageContaining("[t]");
    assertThatThrownBy(
            () ->
                new FeatureSetBuilder(spec())
                    .checkSchema(fixture(spark).withColumn("t", col("x")).schema()))
        .hasMessageContaining("column 't' must be of type date or timestamp but was double");
  }
}

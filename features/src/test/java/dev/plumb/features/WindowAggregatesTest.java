package dev.plumb.features;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

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
 * Point-in-time window aggregates: only rows of the same key strictly before the row's event time
 * and at most N days before it count; ties never do.
 */
@ExtendWith(SharedSpark.class)
class WindowAggregatesTest {

  static final StructType SCHEMA =
      new StructType()
          .add("id", DataTypes.LongType)
          .add("k", DataTypes.StringType)
          .add("t", DataTypes.TimestampType)
          .add("v", DataTypes.DoubleType)
          .add("label", DataTypes.IntegerType);

  static Row row(long id, String k, String t, double v) {
    return RowFactory.create(id, k, t == null ? null : Timestamp.valueOf(t), v, 0);
  }

  /** A spec keyed by id, event time t, with these feature lines. */
  static FeatureSetSpec spec(String... features) {
    List<String> lines =
        new java.util.ArrayList<>(
            List.of("name: w", "label: label", "key: id", "event_time: t", "features:"));
    lines.addAll(List.of(features));
    return FeatureSetSpec.parse(String.join("\n", lines), "window spec");
  }

  @Test
  void onlyStrictlyEarlierRowsWithinTheWindowCount(SparkSession spark) {
    List<Row> rows =
        List.of(
            row(1, "A", "2026-01-01 00:00:00", 1.0),
            row(2, "A", "2026-01-01 00:00:00", 2.0), // a tie with row 1
            row(3, "A", "2026-01-03 00:00:00", 4.0),
            row(4, "A", "2026-01-08 00:00:00", 8.0), // rows 1 and 2 are exactly 7 days back
            row(5, "A", "2026-01-08 00:00:00.5", 16.0), // 7 days back is 00:00:00.5: 1, 2 are out
            row(6, "B", "2026-01-02 00:00:00", 32.0), // another key
            row(7, "A", null, 64.0)); // no event time
    FeatureSetSpec spec =
        spec(
            "  - {name: n7, type: window, fn: count, days: 7, by: k}",
            "  - {name: s7, type: window, fn: sum, column: v, days: 7, by: k}",
            "  - {name: m7, type: window, fn: mean, column: v, days: 7, by: k}",
            "  - {name: n1, type: window, fn: count, days: 1, by: k}");
    FittedTransform transform = new FittedTransform(spec, Map.of());
    Map<Long, List<Double>> got = new HashMap<>();
    for (Row r :
        transform.apply(spark.createDataFrame(rows, SCHEMA).repartition(3)).collectAsList()) {
      got.put(
          r.getLong(0),
          Arrays.asList(
              (Double) r.getAs("n7"),
              (Double) r.getAs("s7"),
              (Double) r.getAs("m7"),
              (Double) r.getAs("n1")));
    }
    assertThat(got.get(1L)).containsExactly(0.0, 0.0, null, 0.0);
    assertThat(got.get(2L)).containsExactly(0.0, 0.0, null, 0.0); // the tie does not count
    assertThat(got.get(3L)).containsExactly(2.0, 3.0, 1.5, 0.0);
    assertThat(got.get(4L)).containsExactly(3.0, 7.0, 7.0 / 3.0, 0.0);
    assertThat(got.get(5L)).containsExactly(2.0, 12.0, 6.0, 1.0); // row 4 is 0.5 s earlier
    assertThat(got.get(6L)).containsExactly(0.0, 0.0, null, 0.0);
    assertThat(got.get(7L)).containsExactly(null, null, null, null);
  }

  @Test
  void rowsLeftOutOfTheWindowsChangeNoCountedRowsValue(SparkSession spark) {
    // Rows 11-13 (with "skip" set) sit inside rows 3-5's windows; counted only where "skip" is
    // false, every other row gets exactly the values it gets without them, and they are kept.
    List<Row> counted =
        List.of(
            row(1, "A", "2026-01-01 00:00:00", 1.0),
            row(3, "A", "2026-01-03 00:00:00", 4.0),
            row(4, "A", "2026-01-08 00:00:00", 8.0),
            row(5, "A", "2026-01-08 00:00:00.5", 16.0));
    List<Row> all = new java.util.ArrayList<>(counted);
    all.add(row(11, "A", "2026-01-02 00:00:00", 100.0));
    all.add(row(12, "A", "2026-01-08 00:00:00", 200.0)); // a tie with row 4
    all.add(row(13, "A", "2026-01-07 12:00:00", 400.0));
    FeatureSetSpec spec =
        spec(
            "  - {name: n7, type: window, fn: count, days: 7, by: k}",
            "  - {name: s7, type: window, fn: sum, column: v, days: 7, by: k}",
            "  - {name: m7, type: window, fn: mean, column: v, days: 7, by: k}");
    FittedTransform transform = new FittedTransform(spec, Map.of());
    Map<Long, Row> alone = new HashMap<>();
    transform
        .apply(spark.createDataFrame(counted, SCHEMA))
        .collectAsList()
        .forEach(r -> alone.put(r.getLong(0), r));
    List<Row> mixed =
        transform
            .apply(
                spark
                    .createDataFrame(all, SCHEMA)
                    .withColumn("skip", org.apache.spark.sql.functions.expr("id > 10"))
                    .repartition(3),
                org.apache.spark.sql.functions.expr("not skip"),
                List.of("skip"))
            .collectAsList();
    assertThat(mixed).hasSize(7);
    int compared = 0;
    for (Row r : mixed) {
      if (r.getBoolean(r.fieldIndex("skip"))) {
        continue;
      }
      Row expected = alone.get(r.getLong(0));
      for (String f : List.of("n7", "s7", "m7")) {
        assertThat((Double) r.getAs(f))
            .as("row %d %s", r.getLong(0), f)
            .isEqualTo(expected.getAs(f));
      }
      compared++;
    }
    assertThat(compared).isEqualTo(4);
    assertThat((Double) alone.get(4L).getAs("s7")).isEqualTo(5.0); // rows 1 and 3 only
  }

  @Test
  void theGroupedWindowGivesTheRowWindowsValues(SparkSession spark) {
    // 3,000 rows over 4 keys and 40 days (times on whole hours, so many ties), some values and
    // times null, a fifth of the rows not counted: the window over one row per (key, time) pair
    // joined back gives every row the row window's count exactly and its sum and mean to 1e-9.
    java.util.Random random = new java.util.Random(7);
    List<Row> rows = new java.util.ArrayList<>();
    for (long id = 0; id < 3000; id++) {
      String k = random.nextInt(20) == 0 ? null : "k" + random.nextInt(4);
      String t =
          random.nextInt(25) == 0
              ? null
              : String.format(
                  "2026-01-%02d %02d:00:00", 1 + random.nextInt(28), random.nextInt(3) * 8);
      Double v = random.nextInt(10) == 0 ? null : random.nextGaussian() * 100;
      rows.add(RowFactory.create(id, k, t == null ? null : Timestamp.valueOf(t), v, 0));
    }
    FeatureSetSpec spec =
        spec(
            "  - {name: n7, type: window, fn: count, days: 7, by: k}",
            "  - {name: s3, type: window, fn: sum, column: v, days: 3, by: k}",
            "  - {name: m7, type: window, fn: mean, column: v, days: 7, by: k}",
            "  - {name: self, type: window, fn: count, days: 2}");
    FittedTransform transform = new FittedTransform(spec, Map.of());
    Dataset<Row> data =
        spark
            .createDataFrame(rows, SCHEMA)
            .withColumn("skip", org.apache.spark.sql.functions.expr("id % 5 = 0"))
            .repartition(3);
    org.apache.spark.sql.Column counted = org.apache.spark.sql.functions.expr("not skip");
    Map<Long, Row> byRows = new HashMap<>();
    transform
        .apply(data, counted, List.of(), 0)
        .collectAsList()
        .forEach(r -> byRows.put(r.getLong(0), r));
    List<Row> grouped = transform.apply(data, counted, List.of()).collectAsList();
    assertThat(grouped).hasSize(3000);
    assertThat(byRows).hasSize(3000);
    int nonZero = 0;
    for (Row r : grouped) {
      Row e = byRows.get(r.getLong(0));
      for (String f : List.of("n7", "s3", "m7", "self")) {
        Double got = r.getAs(f);
        Double want = e.getAs(f);
        if (want == null) {
          assertThat(got).as("row %d %s", r.getLong(0), f).isNull();
        } else {
          assertThat(got).as("row %d %s", r.getLong(0), f).isCloseTo(want, within(1e-9));
        }
      }
      if (e.getAs("n7") != null && (Double) e.getAs("n7") > 0) {
        nonZero++;
      }
    }
    assertThat(nonZero).isGreaterThan(2000);
  }
}

package dev.plumb.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.plumb.features.io.JsonFiles;
import dev.plumb.features.store.FeatureStore;
import dev.plumb.jobs.tracking.NoTracking;
import dev.plumb.testing.SharedSpark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The feature store: build, reuse, list, and recovery from a build killed before its manifest. */
@ExtendWith(SharedSpark.class)
class FeaturesStageTest {

  static final Path DEMO_SPEC = Path.of("..", "conf", "features", "demo.yaml").toAbsolutePath();

  @TempDir Path tmp;

  /**
   * A config over {@code rows} demo rows written under {@code tmp}: its work dir and data there,
   * the shipped contract and feature spec, then {@code extra} overrides.
   */
  static PlumbConfig demoConfig(SparkSession spark, Path tmp, int rows, int seed, String... extra) {
    Path data = tmp.resolve("data");
    DemoData.writeIfMissing(spark, data.toString(), rows, 3, seed);
    List<String> sets = new java.util.ArrayList<>();
    sets.add("work_dir=" + tmp.resolve("work"));
    sets.add("ingest.input=" + data);
    sets.add("ingest.contract=" + Path.of("..", "conf", "contracts", "demo.yaml").toAbsolutePath());
    sets.add("features.spec=" + DEMO_SPEC);
    sets.addAll(List.of(extra));
    return PlumbConfig.load(null, sets, Map.of());
  }

  @Test
  void buildsOnceReusesThenRebuildsAVersionLeftWithoutAManifest(SparkSession spark)
      throws Exception {
    PlumbConfig config = demoConfig(spark, tmp, 6000, 7);
    IngestStage.run(spark, config, new NoTracking());

    FeaturesStage.Result first = FeaturesStage.run(spark, config, new NoTracking());
    assertThat(first.built()).isTrue();
    long rows = first.manifest().rows();
    assertThat(rows).isEqualTo(6001); // 6,000 + 8 planted rows - 7 quarantined
    // The statistics counted on the rows as they were written are those of the stored table.
    Dataset<Row> written =
        spark
            .read()
            .format("delta")
            .load(Path.of(first.directory()).resolve(FeatureStore.DATA).toString());
    for (Map.Entry<String, Long> split : first.manifest().splitSizes().entrySet()) {
      assertThat(split.getValue())
          .as("rows of split %s", split.getKey())
          .isEqualTo(
              written
                  .filter(org.apache.spark.sql.functions.col("split").equalTo(split.getKey()))
                  .count())
          .isPositive();
    }
    // Delta's file statistics on the key and the split only (the manifest's are counted as the
    // rows are written).
    Row detail =
        spark
            .sql(
                "DESCRIBE DETAIL delta.`"
                    + Path.of(first.directory()).resolve(FeatureStore.DATA)
                    + "`")
            .first();
    assertThat(detail.<String, String>getJavaMap(detail.fieldIndex("properties")))
        .containsEntry("delta.dataSkippingStatsColumns", "`id`,`split`");
    long nullsSeen = 0;
    for (var f : first.manifest().features()) {
      org.apache.spark.sql.Column c = org.apache.spark.sql.functions.col(f.name());
      long nulls = written.filter(c.isNull().or(c.isNaN())).count();
      assertThat(f.nullCount()).as("nulls of %s", f.name()).isEqualTo(nulls);
      nullsSeen += nulls;
    }
    assertThat(nullsSeen).isPositive();
    // The report times every part of the build; the parts add up to (at most) the total.
    Map<String, Object> report =
        JsonFiles.parse(
            Files.readAllBytes(Path.of(FeaturesStage.reportPath(config))), "r", "features", "x");
    @SuppressWarnings("unchecked")
    Map<String, Object> timings = (Map<String, Object>) report.get("timings_s");
    assertThat(timings)
        .containsOnlyKeys("read_and_fit", "write", "leakage_guard", "publish", "total");
    double parts =
        timings.entrySet().stream()
            .filter(e -> !e.getKey().equals("total"))
            .mapToDouble(e -> ((Number) e.getValue()).doubleValue())
            .sum();
    assertThat(parts)
        .isPositive()
        .isLessThanOrEqualTo(((Number) timings.get("total")).doubleValue());
    assertThat(report).containsEntry("built", true).containsEntry("rows", 6001);
    FeaturesStage.Result second = FeaturesStage.run(spark, config, new NoTracking());
    assertThat(second.built()).isFalse();
    assertThat(second.version()).isEqualTo(first.version());
    assertThat(second.timings()).containsOnlyKeys("lookup", "total");

    List<String> listed = FeaturesStage.featureStore(config).list();
    assertThat(listed).hasSize(2);
    assertThat(listed.get(1)).contains("demo").contains(first.version().id()).contains("6001");

    // A build killed after writing data but before its manifest looks incomplete, and is rebuilt.
    Files.delete(Path.of(first.directory()).resolve(FeatureStore.MANIFEST));
    assertThat(FeaturesStage.featureStore(config).list()).anyMatch(l -> l.contains("incomplete"));
    FeaturesStage.Result third = FeaturesStage.run(spark, config, new NoTracking());
    assertThat(third.built()).isTrue();
    assertThat(third.version()).isEqualTo(first.version());
    assertThat(
            spark
                .read()
                .format("delta")
                .load(Path.of(third.directory()).resolve(FeatureStore.DATA).toString())
                .count())
        .isEqualTo(rows);
    List<dev.plumb.features.store.FeatureSetManifest.Feature> features =
        third.manifest().features();
    assertThat(features).allSatisfy(f -> assertThat(f.singleFeatureRocAuc()).isNotNull());
    assertThat(features.stream().map(f -> f.name()))
        .containsExactly(
            "amount",
            "age",
            "tenure_days",
            "num_txn_30d",
            "country",
            "channel",
            "tenure_missing",
            "event_day_of_week",
            "country_txn_7d");
    assertThat(features.stream().map(f -> f.type()))
        .containsExactly(
            "numeric",
            "numeric",
            "numeric",
            "numeric",
            "categorical_index",
            "categorical_index",
            "missing_indicator",
            "date_part",
            "window_count");
    // tenure_days is nullable in the contract: its missing indicator has no nulls itself.
    var tenure = features.get(2);
    var tenureMissing = features.get(6);
    assertThat(tenureMissing.nullCount()).isZero();
    long inSplits = third.manifest().splitSizes().values().stream().mapToLong(v -> v).sum();
    assertThat(inSplits).isEqualTo(rows);

    // A manifest cut short (a write torn by a crash, a damaged copy) is an unfinished version:
    // listed as incomplete, never reused, rebuilt by the next build.
    Path manifest = Path.of(third.directory()).resolve(FeatureStore.MANIFEST);
    byte[] whole = Files.readAllBytes(manifest);
    Files.write(manifest, java.util.Arrays.copyOf(whole, whole.length / 2));
    assertThat(FeaturesStage.featureStore(config).list())
        .anyMatch(
            l -> l.contains(third.version().id()) && l.contains("its manifest cannot be read"));
    assertThatThrownBy(() -> FeaturesStage.resolve(config, third.version().id()))
        .hasMessageContaining("a complete feature set version " + third.version().id());
    FeaturesStage.Result fourth = FeaturesStage.run(spark, config, new NoTracking());
    assertThat(fourth.built()).isTrue();
    assertThat(fourth.version()).isEqualTo(first.version());
    assertThat(FeaturesStage.featureStore(config).list()).noneMatch(l -> l.contains("incomplete"));

    // A damaged fitted transform is named, with the fix.
    Path transform = Path.of(fourth.directory()).resolve(FeatureStore.TRANSFORM);
    byte[] t = Files.readAllBytes(transform);
    Files.write(transform, java.util.Arrays.copyOf(t, t.length / 3));
    assertThatThrownBy(() -> FeaturesStage.featureStore(config).transform(fourth.directory()))
        .hasMessageStartingWith("Cannot read the fitted transform at " + transform)
        .hasMessageContaining("features --force");
    // The indicator is 1 on exactly the rows where tenure_days is missing.
    double flagged =
        spark
            .read()
            .format("delta")
            .load(Path.of(third.directory()).resolve(FeatureStore.DATA).toString())
            .agg(org.apache.spark.sql.functions.sum("tenure_missing"))
            .first()
            .getDouble(0);
    assertThat((long) flagged).isEqualTo(tenure.nullCount());
  }

  @Test
  void applyingTheStoredTransformToTheTrainingRowsGivesTheStoredFeatureRows(SparkSession spark) {
    Path data = tmp.resolve("data");
    DemoData.writeIfMissing(spark, data.toString(), 3000, 3, 11);
    List<String> sets =
        List.of(
            "work_dir=" + tmp.resolve("work"),
            "ingest.input=" + data,
            "ingest.contract=" + Path.of("..", "conf", "contracts", "demo.yaml").toAbsolutePath(),
            "features.spec=" + DEMO_SPEC);
    PlumbConfig config = PlumbConfig.load(null, sets, Map.of());
    IngestStage.run(spark, config, new NoTracking());
    FeaturesStage.Result built = FeaturesStage.run(spark, config, new NoTracking());
    Map<String, Object> ingest =
        JsonFiles.read(IngestStage.reportPath(config), "the ingest report", "ingest");
    Path out = tmp.resolve("applied");
    List<String> args = new java.util.ArrayList<>(List.of("features", "apply"));
    args.addAll(
        List.of(
            "--version",
            built.version().id(),
            "--input",
            String.valueOf(ingest.get("clean_table")),
            "--output",
            out.toString()));
    for (String s : sets) {
      args.add("--set");
      args.add(s);
    }
    java.io.ByteArrayOutputStream stdout = new java.io.ByteArrayOutputStream();
    java.io.ByteArrayOutputStream stderr = new java.io.ByteArrayOutputStream();
    int code =
        Plumb.run(
            args.toArray(new String[0]),
            Map.of(),
            new java.io.PrintStream(stdout),
            new java.io.PrintStream(stderr));
    assertThat(code).as(stderr.toString()).isZero();
    long rows = built.manifest().rows();
    assertThat(stdout.toString()).contains("features apply: " + rows + " rows written");

    Dataset<Row> stored =
        spark
            .read()
            .format("delta")
            .load(Path.of(built.directory()).resolve(FeatureStore.DATA).toString());
    Dataset<Row> applied = spark.read().format("delta").load(out.toString());
    assertThat(applied.columns()).containsExactly(stored.drop("split").columns());
    // Identical values, row for row (doubles compared exactly; null equals null).
    assertThat(applied.exceptAll(stored.drop("split")).count()).isZero();
    assertThat(stored.drop("split").exceptAll(applied).count()).isZero();

    java.io.ByteArrayOutputStream errors = new java.io.ByteArrayOutputStream();
    int missingInput =
        Plumb.run(
            new String[] {
              "features",
              "apply",
              "--version",
              built.version().id(),
              "--input",
              tmp.resolve("nope").toString(),
              "--output",
              tmp.resolve("x").toString(),
              "--set",
              sets.get(0),
              "--set",
              sets.get(3)
            },
            Map.of(),
            new java.io.PrintStream(stdout),
            new java.io.PrintStream(errors));
    assertThat(missingInput).isEqualTo(1);
    assertThat(errors.toString())
        .contains("Cannot apply feature set version " + built.version().id())
        .contains("nope' does not exist");
    int noOutput =
        Plumb.run(
            new String[] {"features", "apply", "--version", "v", "--input", "in"},
            Map.of(),
            new java.io.PrintStream(stdout),
            new java.io.PrintStream(errors));
    assertThat(noOutput).isEqualTo(2);
    assertThat(errors.toString()).contains("features apply needs --output");
  }
}

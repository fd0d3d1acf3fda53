package dev.plumb.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plumb.testing.SharedSpark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The feature store: build, reuse, list, and recovery from a build killed before its manifest. */
@ExtendWith(SharedSpark.class)
class FeaturesStageTest {

  @TempDir Path tmp;

  @Test
  void buildsOnceReusesThenRebuildsAVersionLeftWithoutAManifest(SparkSession spark)
      throws Exception {
    Path data = tmp.resolve("data");
    DemoData.writeIfMissing(spark, data, 6000, 3, 7);
    PlumbConfig config =
        PlumbConfig.load(
            null,
            List.of(
                "work_dir=" + tmp.resolve("work"),
                "ingest.input=" + data,
                "ingest.contract="
                    + Path.of("..", "conf", "contracts", "demo.yaml").toAbsolutePath()),
            Map.of());
    IngestStage.run(spark, config, new NoTracking());

    FeaturesStage.Result first = FeaturesStage.run(spark, config, new NoTracking());
    assertThat(first.built()).isTrue();
    long rows = ((Number) first.manifest().get("rows")).longValue();
    assertThat(rows).isEqualTo(6001); // 6,000 + 8 planted rows - 7 quarantined
    FeaturesStage.Result second = FeaturesStage.run(spark, config, new NoTracking());
    assertThat(second.built()).isFalse();
    assertThat(second.version()).isEqualTo(first.version());

    List<String> listed = FeaturesStage.list(config);
    assertThat(listed).hasSize(2);
    assertThat(listed.get(1)).contains("demo").contains(first.version().id()).contains("6001");

    // A build killed after writing data but before its manifest looks incomplete, and is rebuilt.
    Files.delete(first.directory().resolve(FeaturesStage.MANIFEST));
    assertThat(FeaturesStage.list(config)).anyMatch(l -> l.contains("incomplete"));
    FeaturesStage.Result third = FeaturesStage.run(spark, config, new NoTracking());
    assertThat(third.built()).isTrue();
    assertThat(third.version()).isEqualTo(first.version());
    assertThat(
            spark
                .read()
                .format("delta")
                .load(third.directory().resolve(FeaturesStage.DATA).toString())
                .count())
        .isEqualTo(rows);
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> features =
        (List<Map<String, Object>>) third.manifest().get("features");
    assertThat(features).allSatisfy(f -> assertThat(f).containsKey("single_feature_roc_auc"));
  }
}

package dev.plumb.jobs;

import dev.plumb.jobs.tracking.NoTracking;
import dev.plumb.testing.SharedSpark;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The features stage on a cache miss (the version is built) against a cache hit (the same version
 * is found in the store), interleaved in one JVM; a rerun that changes only a training parameter is
 * a hit. Run: {@code ./mvnw -B -o verify -pl features,jobs -am -Dplumb.groups=benchmark
 * -Dplumb.excludedGroups= -Dtest=FeatureCacheBenchmark -Dsurefire.failIfNoSpecifiedTests=false
 * -Dplumb.bench.rows=200000}.
 */
@Tag("benchmark")
@ExtendWith(SharedSpark.class)
class FeatureCacheBenchmark {

  @TempDir Path tmp;

  @Test
  void hitAgainstMiss(SparkSession spark) {
    long rows = Long.getLong("plumb.bench.rows", 200_000L);
    int rounds = Integer.getInteger("plumb.bench.rounds", 3);
    Path data = tmp.resolve("data");
    DemoData.writeIfMissing(spark, data.toString(), rows, 30, 7);
    List<String> sets =
        List.of(
            "work_dir=" + tmp.resolve("work"),
            "ingest.input=" + data,
            "ingest.contract=" + Path.of("..", "conf", "contracts", "demo.yaml").toAbsolutePath(),
            "features.spec=" + FeaturesStageTest.DEMO_SPEC);
    PlumbConfig config = PlumbConfig.load(null, sets, Map.of());
    IngestStage.run(spark, config, new NoTracking());
    List<Double> miss = new ArrayList<>();
    List<Double> hit = new ArrayList<>();
    for (int i = -1; i < rounds; i++) { // round -1 warms up
      PlumbConfig forced = config.with("features.force", true);
      long start = System.nanoTime();
      FeaturesStage.Result built = FeaturesStage.run(spark, forced, new NoTracking());
      double missSeconds = (System.nanoTime() - start) / 1e9;
      // Only a training parameter changes: the feature set is found in the store.
      PlumbConfig retrain = config.with("train.eta", 0.05 + 0.01 * (i + 1));
      start = System.nanoTime();
      FeaturesStage.Result reused = FeaturesStage.run(spark, retrain, new NoTracking());
      double hitSeconds = (System.nanoTime() - start) / 1e9;
      if (!built.built() || reused.built() || !reused.version().equals(built.version())) {
        throw new AssertionError("expected a build then a reuse of the same version");
      }
      if (i >= 0) {
        miss.add(missSeconds);
        hit.add(hitSeconds);
      }
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("rows", rows);
    out.put("miss_seconds", miss);
    out.put("hit_seconds", hit);
    out.put("hit_over_miss_of_medians", Benchmarks.median(hit) / Benchmarks.median(miss));
    System.out.println("FEATURE-CACHE-BENCHMARK " + dev.plumb.features.io.YamlDocs.toJson(out));
  }
}

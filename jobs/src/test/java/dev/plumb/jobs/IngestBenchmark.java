package dev.plumb.jobs;

import dev.plumb.features.ingest.IngestRun;
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
 * Ingest (list + footers, duplicate keys, validate every row, write clean and quarantine Delta
 * tables, report) and its clean pass alone (scan, validate, write the clean table) against a plain
 * Parquet-to-Delta copy of the same files, interleaved in the same JVM. Run: {@code ./mvnw -B -o
 * verify -pl features,jobs -am -Dplumb.groups=benchmark -Dplumb.excludedGroups=
 * -Dtest=IngestBenchmark -Dsurefire.failIfNoSpecifiedTests=false -Dplumb.bench.rows=2000000}.
 */
@Tag("benchmark")
@ExtendWith(SharedSpark.class)
class IngestBenchmark {

  @TempDir Path tmp;

  @Test
  void cleanPathAgainstAPlainCopy(SparkSession spark) {
    long rows = Long.getLong("plumb.bench.rows", 1_000_000L);
    int rounds = Integer.getInteger("plumb.bench.rounds", 3);
    Path data = tmp.resolve("data");
    DemoData.writeIfMissing(spark, data.toString(), rows, 30, 7);
    long totalRows = rows + DemoData.dirtyRows(spark, rows).count();
    int columns = spark.read().parquet(data.toString()).columns().length;
    int cores = spark.sparkContext().defaultParallelism();
    List<Double> copy = new ArrayList<>();
    List<Double> ingest = new ArrayList<>();
    Map<String, List<Double>> steps = new LinkedHashMap<>();
    String contract =
        System.getProperty(
            "plumb.bench.contract",
            Path.of("..", "conf", "contracts", "demo.yaml").toAbsolutePath().toString());
    for (int i = -1; i < rounds; i++) { // round -1 warms up both paths
      Path copyTable = tmp.resolve("copy-" + i);
      long start = System.nanoTime();
      spark.read().parquet(data.toString()).write().format("delta").save(copyTable.toString());
      double copySeconds = (System.nanoTime() - start) / 1e9;
      PlumbConfig config =
          PlumbConfig.load(
              null,
              List.of(
                  "work_dir=" + tmp.resolve("work-" + i),
                  "ingest.input=" + data,
                  "ingest.contract=" + contract),
              Map.of());
      start = System.nanoTime();
      IngestRun.Result r = IngestStage.run(spark, config, new NoTracking());
      double ingestSeconds = (System.nanoTime() - start) / 1e9;
      if (r.rowsRead() != totalRows) {
        throw new AssertionError("ingest read " + r.rowsRead() + " rows, expected " + totalRows);
      }
      if (i >= 0) {
        copy.add(copySeconds);
        ingest.add(ingestSeconds);
        r.timings().forEach((k, v) -> steps.computeIfAbsent(k, x -> new ArrayList<>()).add(v));
      }
    }
    double copyMedian = Benchmarks.median(copy);
    double ingestMedian = Benchmarks.median(ingest);
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("rows", totalRows);
    out.put("columns", columns);
    out.put("cores", cores);
    out.put("copy_seconds", copy);
    out.put("ingest_seconds", ingest);
    out.put("ratio_of_medians", ingestMedian / copyMedian);
    // The clean pass alone: scan, validate every row (duplicate rule included), write the clean
    // Delta table, with the bad rows handed over on the way; the rest of ingest is the listing and
    // footers, the duplicate-key search and the quarantine table.
    Map<String, Double> stepMedians = new LinkedHashMap<>();
    steps.forEach((k, v) -> stepMedians.put(k, Benchmarks.median(v)));
    out.put("ingest_step_seconds", steps);
    out.put("ingest_step_medians", stepMedians);
    out.put("clean_pass_ratio_of_medians", stepMedians.get("clean_pass") / copyMedian);
    out.put("copy_ns_per_value_per_core", copyMedian * 1e9 * cores / (totalRows * columns));
    out.put("ingest_ns_per_value_per_core", ingestMedian * 1e9 * cores / (totalRows * columns));
    System.out.println("INGEST-BENCHMARK " + dev.plumb.features.io.YamlDocs.toJson(out));
  }
}

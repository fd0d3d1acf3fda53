package dev.plumb.jobs;

import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.plumb.features.ingest.IngestRun;
import dev.plumb.jobs.tracking.NoTracking;
import dev.plumb.testing.SharedSpark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A double column that one shard stores as int64, as pandas writes integers: refused under {@code
 * drift_policy: cast} with a hint that names {@code cast_lossy}, read exactly under {@code
 * cast_lossy}, where a value the double cannot hold is quarantined, not rounded.
 */
@ExtendWith(SharedSpark.class)
class IngestDriftPolicyTest {

  static final String CONTRACT =
      String.join(
          "\n",
          "name: pandas",
          "keys: [id]",
          "columns:",
          "  - {name: id, type: long, nullable: false}",
          "  - {name: amount, type: double, nullable: true, min: 0}");

  static final long TWO_TO_53 = 1L << 53;

  @TempDir Path tmp;
  Path root;
  Path contractFile;
  SparkSession spark;

  @BeforeEach
  void fixture(SparkSession session) throws Exception {
    spark = session;
    root = tmp.resolve("in");
    contractFile = tmp.resolve("contract.yaml");
    spark
        .sql("select 1L as id, 1.5D as amount union all select 2L, 1e300D")
        .coalesce(1)
        .write()
        .parquet(root.resolve("day=1").toString());
    // int64 amounts: exact below 2^53, 2^53 + 2 and 2^62 exact too; 2^53 + 1 and the largest long
    // are not, and -1 breaks min: 0.
    spark
        .sql(
            "select 10L as id, 7L as amount"
                + " union all select 11L, "
                + TWO_TO_53
                + "L union all select 12L, "
                + (TWO_TO_53 + 1)
                + "L union all select 13L, "
                + (TWO_TO_53 + 2)
                + "L union all select 14L, "
                + (1L << 62)
                + "L union all select 15L, "
                + Long.MAX_VALUE
                + "L union all select 16L, -1L union all select 17L, cast(null as bigint)")
        .coalesce(1)
        .write()
        .parquet(root.resolve("day=2").toString());
  }

  IngestRun.Result ingest(String policy, String... sets) throws Exception {
    Files.writeString(contractFile, CONTRACT + "\ndrift_policy: " + policy + "\n");
    List<String> all =
        new ArrayList<>(
            List.of(
                "work_dir=" + tmp.resolve("work"),
                "ingest.input=" + root,
                "ingest.contract=" + contractFile));
    all.addAll(List.of(sets));
    return IngestStage.run(spark, PlumbConfig.load(null, all, Map.of()), new NoTracking());
  }

  Map<Long, Object> amounts(String table) {
    Map<Long, Object> out = new TreeMap<>();
    for (Row r :
        spark
            .read()
            .format("delta")
            .load(tmp.resolve("work/tables/" + table).toString())
            .select(col("id"), col("amount"))
            .collectAsList()) {
      out.put(r.getLong(0), r.get(1));
    }
    return out;
  }

  @Test
  void int64ToDoubleIsRefusedUnderCastWithAHintThatNamesCastLossy() {
    assertThatThrownBy(() -> ingest("cast"))
        .hasMessageContaining("Cannot ingest: 1 problem(s) in 2 file(s)")
        .hasMessageContaining(
            "column 'amount' is long but the contract says double (a lossy widening: set"
                + " drift_policy: cast_lossy to accept it")
        .hasMessageContaining(
            "the contract's drift_policy: cast already casts int->long/double and float->double;"
                + " to also cast long->double (lossy beyond ±2^53) set drift_policy: cast_lossy")
        .message()
        .doesNotContain("set drift_policy: cast ")
        .doesNotContain("set drift_policy: cast in");
    assertThat(tmp.resolve("work/tables/clean")).doesNotExist();
  }

  @Test
  void castLossyReadsInt64ExactlyAndQuarantinesTheValuesADoubleCannotHold() throws Exception {
    IngestRun.Result r = ingest("cast_lossy");
    assertThat(r.rowsRead()).isEqualTo(10);
    assertThat(r.rowsClean()).isEqualTo(7);
    assertThat(r.rowsQuarantined()).isEqualTo(3);
    assertThat(r.quarantinedByReason())
        .isEqualTo(Map.of("LOSSY_CAST:amount", 2L, "OUT_OF_RANGE:amount", 1L));
    Map<Long, Object> clean = new TreeMap<>();
    clean.put(1L, 1.5);
    clean.put(2L, 1e300);
    clean.put(10L, 7.0);
    clean.put(11L, 9007199254740992.0);
    clean.put(13L, 9007199254740994.0);
    clean.put(14L, 4611686018427387904.0);
    clean.put(17L, null);
    assertThat(amounts("clean")).isEqualTo(clean);
    // The quarantine holds the nearest double (the table's type); the reason says it changed.
    Map<Long, Object> quarantined = new TreeMap<>();
    quarantined.put(12L, 9007199254740992.0);
    quarantined.put(15L, 9223372036854775808.0);
    quarantined.put(16L, -1.0);
    assertThat(amounts("quarantine")).isEqualTo(quarantined);
    String casts =
        new com.fasterxml.jackson.databind.ObjectMapper()
            .readTree(tmp.resolve("work/reports/ingest-report.json").toFile())
            .get("casts")
            .toString();
    assertThat(casts)
        .contains(
            "amount long -> double (lossy: values a double cannot hold exactly are quarantined as"
                + " LOSSY_CAST)");
  }

  @Test
  void theSecondPassQuarantinesTheSameLossyRows() throws Exception {
    IngestRun.Result r = ingest("cast_lossy", "ingest.max_gathered_bad_rows=1");
    assertThat(r.rowsClean()).isEqualTo(7);
    assertThat(r.quarantinedByReason())
        .isEqualTo(Map.of("LOSSY_CAST:amount", 2L, "OUT_OF_RANGE:amount", 1L));
    assertThat(amounts("quarantine")).containsOnlyKeys(12L, 15L, 16L);
  }
}

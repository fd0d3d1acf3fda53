package dev.plumb.jobs;

import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;

import dev.plumb.features.ingest.IngestRun;
import dev.plumb.jobs.tracking.NoTracking;
import dev.plumb.testing.SharedSpark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Strings that are not valid UTF-8 reach the quarantine as the very bytes the file stores, whether
 * the bad rows are gathered during the clean pass or read in a second pass.
 */
@ExtendWith(SharedSpark.class)
class QuarantineBytesTest {

  static final String CONTRACT =
      String.join(
          "\n",
          "name: bytes",
          "columns:",
          "  - {name: id, type: long, nullable: false}",
          "  - {name: name, type: string, nullable: true, pattern: '[A-Za-z ]+'}",
          "  - {name: city, type: string, nullable: true}");

  /** b'J\xc3(ohn \xff': a lone lead byte and a byte that never occurs in UTF-8. */
  static final String JOHN = "4AC3286F686E20FF";

  /** b'\xe2\x82' + b'x' + b'\xc0\xaf': a truncated sequence and an overlong encoding. */
  static final String BROKEN = "E28278C0AF";

  @TempDir Path tmp;
  Path contractFile;
  SparkSession spark;

  @BeforeEach
  void fixture(SparkSession session) throws Exception {
    spark = session;
    contractFile = tmp.resolve("contract.yaml");
    Files.writeString(contractFile, CONTRACT);
    spark
        .sql(
            "select 1L as id, 'Ann' as name, 'Oslo' as city"
                + " union all select 2L, cast(unhex('"
                + JOHN
                + "') as string), cast(unhex('"
                + BROKEN
                + "') as string)"
                + " union all select 3L, cast(unhex('"
                + BROKEN
                + "') as string), 'Rome'"
                + " union all select 4L, 'Bo', 'Bergen'")
        .coalesce(1)
        .write()
        .parquet(tmp.resolve("in").toString());
  }

  IngestRun.Result ingest(String work, String... sets) {
    List<String> all =
        new java.util.ArrayList<>(
            List.of(
                "work_dir=" + tmp.resolve(work),
                "ingest.input=" + tmp.resolve("in"),
                "ingest.contract=" + contractFile));
    all.addAll(List.of(sets));
    return IngestStage.run(spark, PlumbConfig.load(null, all, Map.of()), new NoTracking());
  }

  /** Each quarantined row's id, then its name and city as hex of the bytes stored. */
  Map<Long, String> quarantinedBytes(String work) {
    Map<Long, String> out = new LinkedHashMap<>();
    for (Row r :
        spark
            .read()
            .format("delta")
            .load(tmp.resolve(work + "/tables/quarantine").toString())
            .select(col("id"), col("name").cast("binary"), col("city").cast("binary"))
            .orderBy("id")
            .collectAsList()) {
      out.put(r.getLong(0), hex(r, 1) + " " + hex(r, 2));
    }
    return out;
  }

  private static String hex(Row r, int i) {
    return r.isNullAt(i) ? "null" : HexFormat.of().withUpperCase().formatHex((byte[]) r.get(i));
  }

  private static String hex(String s) {
    return HexFormat.of()
        .withUpperCase()
        .formatHex(s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  @Test
  void invalidUtf8IsQuarantinedByteForByteWhenGatheredDuringTheCleanPass() {
    IngestRun.Result r = ingest("gathered");
    assertThat(r.rowsClean()).isEqualTo(2);
    assertThat(r.rowsQuarantined()).isEqualTo(2);
    assertThat(r.quarantinedByReason())
        .containsEntry("BAD_ENCODING:name", 2L)
        .containsEntry("BAD_ENCODING:city", 1L);
    assertThat(quarantinedBytes("gathered"))
        .containsExactly(
            Map.entry(2L, JOHN + " " + BROKEN), Map.entry(3L, BROKEN + " " + hex("Rome")));
  }

  @Test
  void theSecondPassStoresTheSameBytesAsTheGatheredPath() {
    IngestRun.Result gathered = ingest("gathered");
    IngestRun.Result reread = ingest("reread", "ingest.max_gathered_bad_rows=1");
    assertThat(reread.rowsQuarantined()).isEqualTo(gathered.rowsQuarantined()).isEqualTo(2);
    assertThat(reread.quarantinedByReason()).isEqualTo(gathered.quarantinedByReason());
    Map<Long, String> expected = Map.of(2L, JOHN + " " + BROKEN, 3L, BROKEN + " " + hex("Rome"));
    assertThat(quarantinedBytes("reread")).isEqualTo(expected);
    assertThat(quarantinedBytes("gathered")).isEqualTo(expected);
    // The clean rows are untouched text.
    assertThat(
            spark
                .read()
                .format("delta")
                .load(tmp.resolve("gathered/tables/clean").toString())
                .orderBy("id")
                .collectAsList()
                .stream()
                .map(x -> x.getLong(0) + " " + x.getString(1) + " " + x.getString(2))
                .toList())
        .containsExactly("1 Ann Oslo", "4 Bo Bergen");
  }
}

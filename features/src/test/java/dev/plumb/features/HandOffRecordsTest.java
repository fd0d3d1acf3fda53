package dev.plumb.features;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plumb.features.ingest.IngestReport;
import dev.plumb.features.io.PlumbException;
import dev.plumb.features.io.YamlDocs;
import dev.plumb.features.store.FeatureSetManifest;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The typed records stages hand each other survive their JSON form, old files included. */
class HandOffRecordsTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  private static Map<String, Object> throughJson(Map<String, Object> m) throws Exception {
    return JSON.readValue(YamlDocs.toJson(m), new TypeReference<>() {});
  }

  static FeatureSetManifest manifest() {
    return new FeatureSetManifest(
        "demo",
        "0123456789abcdef",
        "2026-12-03T10:00:00Z",
        "features-v3",
        "f".repeat(64),
        "s3a://b/work/tables/clean",
        4,
        "e".repeat(64),
        "label",
        "id",
        "event_time",
        Map.of("by", "key_hash", "train", 0.7),
        List.of(
            new FeatureSetManifest.Feature("amount", "numeric", 3, 0.61),
            new FeatureSetManifest.Feature("country", "categorical_index", 0, null)),
        1000,
        Map.of("train", 700L, "validation", 150L, "test", 150L),
        Map.of("name", "demo"),
        "passed");
  }

  @Test
  void theManifestRoundTripsThroughJson() throws Exception {
    FeatureSetManifest m = manifest();
    Map<String, Object> json = throughJson(m.toJson());
    assertThat(json.get("format_version")).isEqualTo(FeatureSetManifest.FORMAT_VERSION);
    FeatureSetManifest back = FeatureSetManifest.fromJson(json, "mem");
    assertThat(back).isEqualTo(m);
    assertThat(back.featureNames()).containsExactly("amount", "country");
  }

  @Test
  void aManifestOfThePreviousReleaseWithoutFormatVersionLoads() throws Exception {
    Map<String, Object> old = throughJson(manifest().toJson());
    old.remove("format_version");
    old.remove("code_version");
    assertThat(FeatureSetManifest.fromJson(old, "old").featureSetVersion())
        .isEqualTo("0123456789abcdef");
  }

  @Test
  void aNewerOrBrokenManifestFailsNamingTheFileAndTheFix() throws Exception {
    Map<String, Object> newer = new LinkedHashMap<>(throughJson(manifest().toJson()));
    newer.put("format_version", 99);
    assertThatThrownBy(() -> FeatureSetManifest.fromJson(newer, "s3a://b/m.json"))
        .isInstanceOf(PlumbException.class)
        .hasMessage(
            "Cannot read the feature-set manifest at s3a://b/m.json: it has format_version 99,"
                + " newer than this Plumb reads (1) (rebuild the version with './plumb features"
                + " --force')");
    Map<String, Object> broken = new LinkedHashMap<>(throughJson(manifest().toJson()));
    broken.put("rows", "many");
    assertThatThrownBy(() -> FeatureSetManifest.fromJson(broken, "m.json"))
        .hasMessageContaining("field 'rows' must be a number but was 'many'");
  }

  @Test
  void theIngestReportRoundTripsAndKeepsItsDetails() throws Exception {
    IngestReport r =
        new IngestReport(
            "a".repeat(64),
            "c".repeat(64),
            "/w/tables/clean",
            3,
            "/w/tables/quarantine",
            2,
            108,
            100,
            8,
            "run-1",
            Map.of("files_read", 10, "quarantined_by_reason", Map.of("BAD_LABEL:label", 8)));
    IngestReport back = IngestReport.fromJson(throughJson(r.toJson()), "mem");
    assertThat(back).isEqualTo(r);
    Map<String, Object> missing = throughJson(r.toJson());
    missing.remove("clean_table_version");
    assertThatThrownBy(() -> IngestReport.fromJson(missing, "/w/reports/ingest-report.json"))
        .hasMessage(
            "Cannot read the ingest report at /w/reports/ingest-report.json: field"
                + " 'clean_table_version' is missing (rerun './plumb ingest')");
  }
}

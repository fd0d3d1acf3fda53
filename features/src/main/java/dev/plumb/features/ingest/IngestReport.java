package dev.plumb.features.ingest;

import dev.plumb.features.io.HandOffs;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What ingest hands the features stage: the data fingerprint, the contract, the clean and
 * quarantine tables at their exact versions and the row counts; the rest of the ingest report
 * (files, reasons, column statistics, timings) rides along in {@code details}, for people.
 */
public record IngestReport(
    String dataFingerprint,
    String contractHash,
    String cleanTable,
    long cleanTableVersion,
    String quarantineTable,
    long quarantineTableVersion,
    long rowsRead,
    long rowsClean,
    long rowsQuarantined,
    String ingestRunId,
    Map<String, Object> details) {

  /** The JSON format written; readers accept this one and the earlier ones. */
  public static final int FORMAT_VERSION = 1;

  public IngestReport {
    details = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(details));
  }

  /** The JSON form: the typed fields, {@code format_version}, then the details. */
  public Map<String, Object> toJson() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("format_version", FORMAT_VERSION);
    m.put("ingest_run_id", ingestRunId);
    m.put("data_fingerprint", dataFingerprint);
    m.put("contract_hash", contractHash);
    m.put("clean_table", cleanTable);
    m.put("clean_table_version", cleanTableVersion);
    m.put("quarantine_table", quarantineTable);
    m.put("quarantine_table_version", quarantineTableVersion);
    m.put("rows_read", rowsRead);
    m.put("rows_clean", rowsClean);
    m.put("rows_quarantined", rowsQuarantined);
    details.forEach(m::putIfAbsent);
    return m;
  }

  /** Reads the JSON form written by any release so far. */
  public static IngestReport fromJson(Map<String, Object> json, String location) {
    HandOffs h =
        HandOffs.of(json, "the ingest report", location, "rerun './plumb ingest'", FORMAT_VERSION);
    Map<String, Object> details = new LinkedHashMap<>(json);
    for (String typed :
        new String[] {
          "format_version",
          "ingest_run_id",
          "data_fingerprint",
          "contract_hash",
          "clean_table",
          "clean_table_version",
          "quarantine_table",
          "quarantine_table_version",
          "rows_read",
          "rows_clean",
          "rows_quarantined"
        }) {
      details.remove(typed);
    }
    return new IngestReport(
        h.string("data_fingerprint"),
        h.stringOr("contract_hash", ""),
        h.string("clean_table"),
        h.number("clean_table_version"),
        h.string("quarantine_table"),
        h.number("quarantine_table_version"),
        h.number("rows_read"),
        h.number("rows_clean"),
        h.number("rows_quarantined"),
        h.stringOr("ingest_run_id", ""),
        details);
  }
}

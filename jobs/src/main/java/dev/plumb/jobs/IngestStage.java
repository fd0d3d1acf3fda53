package dev.plumb.jobs;

import dev.plumb.features.FeatureErrors;
import dev.plumb.features.ingest.DataContract;
import dev.plumb.features.ingest.IngestPlan;
import dev.plumb.features.ingest.IngestReport;
import dev.plumb.features.ingest.IngestRun;
import dev.plumb.features.ingest.IngestSettings;
import dev.plumb.features.io.Locations;
import dev.plumb.features.io.Storage;
import dev.plumb.jobs.tracking.RunTracker;
import java.util.Locale;
import org.apache.spark.sql.SparkSession;

/** The ingest job's adapter: the resolved config to {@link IngestSettings}, then the run. */
final class IngestStage {

  private IngestStage() {}

  static String reportPath(PlumbConfig config) {
    return Locations.join(config.workDir(), "reports", "ingest-report.json");
  }

  static DataContract contract(PlumbConfig config) {
    return contract(config.storage(), config);
  }

  /** The data contract {@code ingest.contract} names, read through {@code storage}. */
  static DataContract contract(Storage storage, PlumbConfig config) {
    String path = Locations.qualify(config.string("ingest.contract"));
    String text;
    try {
      text = storage.readText(path);
    } catch (java.io.UncheckedIOException e) {
      throw FeatureErrors.invalidSpec(
          "read the data contract",
          "file '" + path + "' cannot be read (" + e.getMessage() + ")",
          "check ingest.contract; examples live in conf/contracts/");
    }
    return DataContract.parse(text, path);
  }

  /** What the config asks ingest to read and write (its values were checked at load). */
  static IngestSettings settings(PlumbConfig config) {
    return new IngestSettings(
        IngestSettings.Format.valueOf(config.string("ingest.format").toUpperCase(Locale.ROOT)),
        config.inputRoots(),
        config.string("ingest.partition_filter"),
        config.string("ingest.row_filter"),
        config.integer("ingest.delta_version"),
        config.string("ingest.delta_timestamp"),
        IngestPlan.UnreadablePolicy.valueOf(
            config.string("ingest.unreadable_files").toUpperCase(Locale.ROOT)),
        config.pathOr("ingest.clean_table", "tables/clean"),
        config.pathOr("ingest.quarantine_table", "tables/quarantine"),
        reportPath(config),
        config.integer("ingest.max_gathered_bad_rows"));
  }

  static IngestRun.Result run(SparkSession spark, PlumbConfig config, RunTracker tracker) {
    return IngestRun.run(spark, settings(config), contract(config));
  }

  /** The ingest report at {@code location}, typed: what ingest hands the next stage. */
  static IngestReport report(String location) {
    return IngestRun.report(location);
  }
}

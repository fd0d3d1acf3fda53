package dev.plumb.features.ingest;

import java.util.List;

/**
 * What one ingest reads and where it writes, as the jobs' config resolved it (every location a URI
 * on any Hadoop filesystem).
 *
 * @param format how the input is stored
 * @param inputRoots the input's roots (folders or files; one Delta table for {@link Format#DELTA})
 * @param partitionFilter a SQL filter on the partition columns, pushed down to the listing ("" for
 *     none)
 * @param rowFilter a SQL filter on rows, pushed down to the reader ("" for none)
 * @param deltaVersion the Delta table version to read, or -1 for the latest
 * @param deltaTimestamp the Delta table as of this timestamp ("" for none)
 * @param unreadableFiles what to do with a file that cannot be read
 * @param cleanTable where the clean Delta table lives
 * @param quarantineTable where the quarantine Delta table lives
 * @param reportLocation where the ingest report is written
 * @param maxGatheredBadRows how many bad rows the clean pass gathers before a second pass reads
 *     them
 */
public record IngestSettings(
    Format format,
    List<String> inputRoots,
    String partitionFilter,
    String rowFilter,
    long deltaVersion,
    String deltaTimestamp,
    IngestPlan.UnreadablePolicy unreadableFiles,
    String cleanTable,
    String quarantineTable,
    String reportLocation,
    int maxGatheredBadRows) {

  /** How the input is stored. */
  public enum Format {
    PARQUET,
    DELTA
  }

  public IngestSettings {
    inputRoots = List.copyOf(inputRoots);
  }
}

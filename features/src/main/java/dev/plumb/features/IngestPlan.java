package dev.plumb.features;

import java.util.ArrayList;
import java.util.List;

/**
 * Which listed files an ingest reads and which it skips, decided before any data is read: schema
 * drift against the contract and unreadable files fail the ingest (naming every file and column,
 * and the fix) unless the contract's drift policy or the unreadable-file policy allows them.
 *
 * @param ingest the files to read
 * @param skipped the unreadable files skipped under {@link UnreadablePolicy#SKIP}, with reasons
 * @param casts human-readable list of the widenings applied ("file: column int -> long")
 */
public record IngestPlan(List<SourceFile> ingest, List<SourceFile> skipped, List<String> casts) {

  /** What to do with a file whose footer cannot be read (truncated, not Parquet). */
  public enum UnreadablePolicy {
    FAIL,
    SKIP
  }

  private static final int MAX_LISTED = 50;

  public IngestPlan {
    ingest = List.copyOf(ingest);
    skipped = List.copyOf(skipped);
    casts = List.copyOf(casts);
  }

  /** Rows the footers say the ingested files hold. */
  public long rowsInFiles() {
    return ingest.stream().mapToLong(SourceFile::rows).sum();
  }

  /** Plans an ingest of {@code files} under {@code contract}. */
  public static IngestPlan of(
      List<SourceFile> files, DataContract contract, UnreadablePolicy unreadable) {
    List<SourceFile> ingest = new ArrayList<>();
    List<SourceFile> skipped = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    List<String> casts = new ArrayList<>();
    for (SourceFile f : files) {
      if (!f.readable()) {
        if (unreadable == UnreadablePolicy.SKIP) {
          skipped.add(f);
        } else {
          problems.add(f.path() + ": unreadable (" + f.error() + ")");
        }
        continue;
      }
      boolean ok = true;
      for (ColumnSpec spec : contract.columns()) {
        String expected = spec.storedType().toString();
        String actual = f.columnTypes().get(spec.name());
        if (actual == null) {
          if (!f.partitionValues().containsKey(spec.name())) {
            problems.add(f.path() + ": column '" + spec.name() + "' is missing");
            ok = false;
          }
          continue;
        }
        if (actual.equals(expected)) {
          continue;
        }
        if (contract.driftPolicy() == DataContract.DriftPolicy.CAST
            && ParquetSource.safeWidening(actual, expected)) {
          casts.add(f.path() + ": " + spec.name() + " " + actual + " -> " + expected);
          continue;
        }
        problems.add(
            f.path()
                + ": column '"
                + spec.name()
                + "' is "
                + actual
                + " but the contract says "
                + expected
                + (ParquetSource.safeWidening(actual, expected)
                    ? " (a safe widening: set drift_policy: cast to accept it)"
                    : ""));
        ok = false;
      }
      if (ok) {
        ingest.add(f);
      }
    }
    if (!problems.isEmpty()) {
      List<String> shown = problems.subList(0, Math.min(MAX_LISTED, problems.size()));
      throw new IllegalArgumentException(
          String.format(
              "Cannot ingest: %d problem(s) in %d file(s) checked against contract '%s'; nothing"
                  + " was written:%n  %s%s%n(fix: rewrite or remove the offending files; for safe"
                  + " widenings (int->long/double, float->double) set drift_policy: cast in the"
                  + " contract; to skip unreadable files set ingest.unreadable_files=skip)",
              problems.size(),
              files.size(),
              contract.name(),
              String.join(System.lineSeparator() + "  ", shown),
              problems.size() > shown.size()
                  ? System.lineSeparator()
                      + "  ... and "
                      + (problems.size() - shown.size())
                      + " more"
                  : ""));
    }
    if (ingest.isEmpty()) {
      throw FeatureErrors.missingInput(
          files.isEmpty() ? "(none)" : files.get(0).root(),
          "holds no readable file that matches the filters (" + skipped.size() + " skipped)");
    }
    return new IngestPlan(ingest, skipped, casts);
  }
}

package dev.plumb.features;

import java.util.Collection;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Builds every user-facing error of the features module in one place, in the form "Cannot X: reason
 * (how to fix)", naming the file, column and counts involved.
 */
public final class FeatureErrors {

  private FeatureErrors() {}

  /** A declared column is missing from the data. */
  public static IllegalArgumentException missingColumns(
      String what, Collection<String> missing, Collection<String> available, String where) {
    return new IllegalArgumentException(
        String.format(
            "Cannot %s: column(s) %s declared but not found in %s; available columns: %s"
                + " (fix the declaration or the input path)",
            what, missing, where, available));
  }

  /** A column has the wrong type. */
  public static IllegalArgumentException wrongTypes(
      String what, List<String> problems, String where) {
    return new IllegalArgumentException(
        String.format(
            "Cannot %s: schema of %s does not match the contract: %s (fix the data, or declare the"
                + " type the data really has)",
            what, where, String.join("; ", problems)));
  }

  /** A spec or contract value is invalid. */
  public static IllegalArgumentException invalidSpec(String what, String reason, String fix) {
    return new IllegalArgumentException(String.format("Cannot %s: %s (%s)", what, reason, fix));
  }

  /** An input path does not exist or holds no data files. */
  public static IllegalArgumentException missingInput(String path, String detail) {
    return new IllegalArgumentException(
        String.format(
            "Cannot read input: path '%s' %s (check 'ingest.input' or pass --set ingest.input=PATH)",
            path, detail));
  }

  /** Counts that must reconcile did not. */
  public static IllegalStateException countsDoNotReconcile(
      long read, long clean, long quarantined) {
    return new IllegalStateException(
        String.format(
            "Cannot finish ingest: rows read (%d) != rows clean (%d) + rows quarantined (%d); no"
                + " row may be lost (this is a bug in Plumb: please report it with the ingest"
                + " report)",
            read, clean, quarantined));
  }

  /** The rows written do not add up to the rows the files' footers hold. */
  public static IllegalStateException rowsNotAccountedFor(
      long inFiles, long clean, long quarantined) {
    return new IllegalStateException(
        String.format(
            "Cannot finish ingest: the files' footers hold %d rows but rows clean (%d) + rows"
                + " quarantined (%d) = %d; no row may be lost (a file changed during the ingest?"
                + " rerun it; otherwise this is a bug in Plumb: please report it with the ingest"
                + " report)",
            inFiles, clean, quarantined, clean + quarantined));
  }

  static String quoted(Collection<String> names) {
    return names.stream().map(n -> "'" + n + "'").collect(Collectors.joining(", "));
  }
}

package dev.plumb.features.ingest;

import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.not;
import static org.apache.spark.sql.functions.when;

import dev.plumb.features.FeatureErrors;
import dev.plumb.features.io.SparkSql;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Column;

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
        if (accepts(contract.driftPolicy(), actual, expected)) {
          casts.add(
              f.path()
                  + ": "
                  + spec.name()
                  + " "
                  + actual
                  + " -> "
                  + expected
                  + (lossyWidening(actual, expected)
                      ? " (lossy: values a double cannot hold exactly are quarantined as "
                          + ContractValidator.LOSSY_CAST
                          + ")"
                      : ""));
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
                + hint(contract.driftPolicy(), actual, expected));
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
                  + " was written:%n  %s%s%n(fix: rewrite or remove the offending files; %s; to"
                  + " skip unreadable files set ingest.unreadable_files=skip)",
              problems.size(),
              files.size(),
              contract.name(),
              String.join(System.lineSeparator() + "  ", shown),
              problems.size() > shown.size()
                  ? System.lineSeparator()
                      + "  ... and "
                      + (problems.size() - shown.size())
                      + " more"
                  : "",
              policyAdvice(contract.driftPolicy())));
    }
    if (ingest.isEmpty()) {
      throw FeatureErrors.missingInput(
          files.isEmpty() ? "(none)" : files.get(0).root(),
          "holds no readable file that matches the filters (" + skipped.size() + " skipped)");
    }
    return new IngestPlan(ingest, skipped, casts);
  }

  /**
   * True when a value stored as {@code from} may be cast to {@code to} although some values change:
   * long to double (a double holds every integer up to 2^53 exactly, not all beyond).
   */
  public static boolean lossyWidening(String from, String to) {
    return from.equals("long") && to.equals("double");
  }

  /** True when {@code policy} lets a column stored as {@code from} be read as {@code to}. */
  static boolean accepts(DataContract.DriftPolicy policy, String from, String to) {
    return switch (policy) {
      case FAIL -> false;
      case CAST -> safeWidening(from, to);
      case CAST_LOSSY -> safeWidening(from, to) || lossyWidening(from, to);
    };
  }

  /** What would accept this one column's drift, when a policy would; else nothing. */
  private static String hint(DataContract.DriftPolicy policy, String from, String to) {
    if (safeWidening(from, to)) {
      return " (a safe widening: set drift_policy: cast to accept it)";
    }
    if (lossyWidening(from, to)) {
      return " (a lossy widening: set drift_policy: cast_lossy to accept it; values a double"
          + " cannot hold exactly, beyond ±2^53, are then quarantined)";
    }
    return policy == DataContract.DriftPolicy.FAIL
        ? ""
        : " (no drift_policy casts " + from + " to " + to + ")";
  }

  /** The fix the contract's drift policy leaves open, for the error's last line. */
  private static String policyAdvice(DataContract.DriftPolicy policy) {
    return switch (policy) {
      case FAIL ->
          "for safe widenings (int->long/double, float->double) set drift_policy: cast in the"
              + " contract, to also cast long->double (lossy beyond ±2^53) set drift_policy:"
              + " cast_lossy";
      case CAST ->
          "the contract's drift_policy: cast already casts int->long/double and float->double;"
              + " to also cast long->double (lossy beyond ±2^53) set drift_policy: cast_lossy";
      case CAST_LOSSY ->
          "the contract's drift_policy: cast_lossy already casts int->long/double, float->double"
              + " and long->double; no policy casts other type changes: rewrite the files or"
              + " change the column's type in the contract";
    };
  }

  /**
   * How a column stored as {@code fileType} is read for {@code spec}: its value as the contract
   * stores it (cast where the plan allowed a widening) and, for a lossy widening, a second column
   * {@link ContractValidator#lossyCastFlag} that is true where the cast changed the value. Read
   * every file through this, so the validator can quarantine the changed values.
   */
  public static List<Column> readAs(ColumnSpec spec, String fileType) {
    Column c = SparkSql.column(spec.name());
    String stored = spec.storedType().toString();
    if (stored.equals(fileType)) {
      return List.of(c);
    }
    Column value = c.cast(spec.storedType().sparkType()).as(spec.name());
    if (!lossyWidening(String.valueOf(fileType), stored)) {
      return List.of(value);
    }
    Column d = c.cast("double");
    // 2^63 is the one double a long can round to that no long holds; below it, the double is an
    // integer a long holds, so comparing it back as a long is exact. (A CASE, so the cast back
    // never overflows, ANSI mode or not.)
    Column changed =
        when(c.isNull(), lit(false))
            .when(d.geq(lit(0x1p63)), lit(true))
            .otherwise(not(d.cast("long").equalTo(c)));
    return List.of(value, changed.as(ContractValidator.lossyCastFlag(spec.name())));
  }

  /** True when a value stored as {@code from} may be cast to {@code to} without loss. */
  public static boolean safeWidening(String from, String to) {
    return (from.equals("int") && (to.equals("long") || to.equals("double")))
        || (from.equals("float") && to.equals("double"));
  }
}

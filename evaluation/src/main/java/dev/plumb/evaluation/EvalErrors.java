package dev.plumb.evaluation;

import java.util.Arrays;
import org.apache.spark.sql.types.StructType;

/** Every user-facing error of the evaluation module: what, where, why and how to fix it. */
public final class EvalErrors {

  private EvalErrors() {}

  /** An invalid evaluation spec. */
  public static IllegalArgumentException badSpec(String reason) {
    return new IllegalArgumentException(
        "Cannot use the evaluation spec: " + reason + " (see conf/eval/demo.yaml)");
  }

  /** A column the evaluation needs is missing. */
  public static IllegalArgumentException missingColumn(String what, String column, StructType s) {
    return new IllegalArgumentException(
        "Cannot evaluate: "
            + what
            + " column '"
            + column
            + "' is missing (columns: "
            + Arrays.toString(s.fieldNames())
            + ")");
  }

  /** A column has the wrong type. */
  public static IllegalArgumentException wrongType(String column, String expected, String was) {
    return new IllegalArgumentException(
        "Cannot evaluate: column '" + column + "' must be " + expected + " but was " + was);
  }

  /** The data has one class only (or none). */
  public static IllegalArgumentException oneClass(String where, long positives, long rows) {
    return new IllegalArgumentException(
        String.format(
            "Cannot evaluate %s: it has only one class (%d positives of %d rows); ROC-AUC is"
                + " undefined (check the split or the sample size)",
            where, positives, rows));
  }

  /** A gate failed and the run was asked to fail on it. */
  public static IllegalStateException gateFailed(GateResult r) {
    return new IllegalStateException("Cannot pass gate '" + r.name() + "': " + r.detail());
  }
}

package dev.plumb.features.ingest;

import dev.plumb.features.FeatureErrors;
import java.util.List;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * One declared column of a data contract.
 *
 * @param name the column name
 * @param type the declared type: what the clean table holds
 * @param nullable whether null is allowed
 * @param min inclusive lower bound for numeric columns, or null
 * @param max inclusive upper bound for numeric columns, or null
 * @param allowed the allowed values (as strings), empty for any
 * @param pattern a regular expression string values must match in full, or null
 * @param sourceType the type the files store when it differs on purpose (only {@code string}: "ages
 *     stored as strings"); each value is parsed into {@code type} and a value that does not parse
 *     is a TYPE_MISMATCH. Null when the files store {@code type} itself.
 */
public record ColumnSpec(
    String name,
    ColumnType type,
    boolean nullable,
    Double min,
    Double max,
    List<String> allowed,
    String pattern,
    ColumnType sourceType) {

  public ColumnSpec {
    allowed = List.copyOf(allowed);
    String what = "read the data contract";
    if ((min != null || max != null) && !type.isNumeric()) {
      throw FeatureErrors.invalidSpec(
          what,
          "column '" + name + "' of type " + type + " declares min/max",
          "min and max apply to int, long, float and double columns only");
    }
    if (pattern != null) {
      if (type != ColumnType.STRING) {
        throw FeatureErrors.invalidSpec(
            what,
            "column '" + name + "' of type " + type + " declares a pattern",
            "patterns apply to string columns only");
      }
      try {
        Pattern.compile(pattern);
      } catch (PatternSyntaxException e) {
        throw FeatureErrors.invalidSpec(
            what,
            "column '" + name + "' has an invalid pattern: " + e.getDescription(),
            "write a Java regular expression");
      }
    }
    if (sourceType != null && sourceType != type && sourceType != ColumnType.STRING) {
      throw FeatureErrors.invalidSpec(
          what,
          "column '" + name + "' declares source_type " + sourceType,
          "source_type may only be string (values parsed into " + type + ")");
    }
    if (sourceType == type) {
      sourceType = null;
    }
  }

  /** A plain column: no pattern, stored as its own type. */
  public ColumnSpec(
      String name,
      ColumnType type,
      boolean nullable,
      Double min,
      Double max,
      List<String> allowed) {
    this(name, type, nullable, min, max, allowed, null, null);
  }

  /** The type the files are expected to store. */
  public ColumnType storedType() {
    return sourceType == null ? type : sourceType;
  }

  /** True when values are parsed from strings. */
  public boolean parsed() {
    return sourceType != null;
  }
}

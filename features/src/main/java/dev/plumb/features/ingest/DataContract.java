package dev.plumb.features.ingest;

import dev.plumb.features.FeatureErrors;
import dev.plumb.features.io.YamlDocs;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the input data must look like: declared columns, the label and its allowed values, key
 * columns and the strings that mean null. Loaded from YAML (see {@code conf/contracts/}).
 *
 * @param name the contract's name
 * @param columns the declared columns, in order
 * @param labelColumn the label column (also declared in {@code columns})
 * @param labelValues the allowed label values, as strings
 * @param keyColumns the key columns
 * @param nullStrings string values read as null (e.g. "", "NULL", "N/A")
 * @param driftPolicy what to do when a file stores a column with another type than declared
 * @param invalidUtf8 what to do with strings that are not valid UTF-8
 * @param controlChars what to do with strings holding control characters (other than tab, CR, LF)
 * @param canonical the contract's canonical text, the input of {@link #hash()}
 */
public record DataContract(
    String name,
    List<ColumnSpec> columns,
    String labelColumn,
    List<String> labelValues,
    List<String> keyColumns,
    List<String> nullStrings,
    DriftPolicy driftPolicy,
    TextPolicy invalidUtf8,
    TextPolicy controlChars,
    String canonical) {

  /**
   * Schema drift between files and the contract (YAML key {@code drift_policy}, default {@code
   * fail}). {@code FAIL}: any difference fails the ingest before anything is written. {@code CAST}:
   * the safe widenings (int to long or double, float to double) are cast; anything else still
   * fails. {@code CAST_LOSSY} ({@code cast_lossy}): as {@code CAST}, and long is also cast to
   * double, as pandas writes integer columns; a value the double cannot hold exactly (only possible
   * beyond ±2^53 = 9,007,199,254,740,992) is quarantined with reason {@code LOSSY_CAST:<column>}
   * instead of being rounded into the clean table.
   */
  public enum DriftPolicy {
    FAIL,
    CAST,
    CAST_LOSSY;

    /** The name the contract spells it with, e.g. {@code cast_lossy}. */
    @Override
    public String toString() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** Treatment of bad text: quarantine the row (BAD_ENCODING), strip the bad characters, allow. */
  public enum TextPolicy {
    QUARANTINE,
    STRIP,
    ALLOW
  }

  private static final Set<String> TOP_KEYS =
      Set.of(
          "name",
          "columns",
          "label",
          "keys",
          "null_strings",
          "drift_policy",
          "invalid_utf8",
          "control_chars");
  private static final Set<String> COLUMN_KEYS =
      Set.of("name", "type", "nullable", "min", "max", "allowed", "pattern", "source_type");
  private static final Set<String> LABEL_KEYS = Set.of("column", "values");

  public DataContract {
    columns = List.copyOf(columns);
    labelValues = List.copyOf(labelValues);
    keyColumns = List.copyOf(keyColumns);
    nullStrings = List.copyOf(nullStrings);
    List<String> names = columns.stream().map(ColumnSpec::name).toList();
    if (labelColumn != null && !names.contains(labelColumn)) {
      throw FeatureErrors.invalidSpec(
          "read the data contract '" + name + "'",
          "label column '" + labelColumn + "' is not among the declared columns " + names,
          "declare it under 'columns'");
    }
    for (String key : keyColumns) {
      if (!names.contains(key)) {
        throw FeatureErrors.invalidSpec(
            "read the data contract '" + name + "'",
            "key column '" + key + "' is not among the declared columns " + names,
            "declare it under 'columns'");
      }
    }
  }

  /** The declared column of that name. */
  public ColumnSpec column(String columnName) {
    return columns.stream()
        .filter(c -> c.name().equals(columnName))
        .findFirst()
        .orElseThrow(
            () ->
                FeatureErrors.invalidSpec(
                    "look up column '" + columnName + "'",
                    "the contract '" + name + "' does not declare it",
                    "declare it under 'columns'"));
  }

  /** SHA-256 of the canonical contract: changes whenever any declared rule changes. */
  public String hash() {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      return HexFormat.of().formatHex(sha.digest(canonical.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Parses a contract from YAML text; {@code origin} names the file in errors. */
  @SuppressWarnings("unchecked")
  public static DataContract parse(String yaml, String origin) {
    Map<String, Object> doc = YamlDocs.parse(yaml, origin);
    YamlDocs.requireKnownKeys(doc, TOP_KEYS, "the contract", origin);
    String name = String.valueOf(doc.getOrDefault("name", origin));
    Object rawColumns = doc.get("columns");
    if (!(rawColumns instanceof List<?> columnList) || columnList.isEmpty()) {
      throw new IllegalArgumentException(
          "Cannot read " + origin + ": 'columns' must be a non-empty list of column declarations");
    }
    List<ColumnSpec> columns = new ArrayList<>();
    for (Object item : columnList) {
      if (!(item instanceof Map<?, ?>)) {
        throw new IllegalArgumentException(
            "Cannot read " + origin + ": each entry of 'columns' must be a mapping, got " + item);
      }
      Map<String, Object> c = (Map<String, Object>) item;
      String columnName = YamlDocs.string(c, "name", origin);
      YamlDocs.requireKnownKeys(c, COLUMN_KEYS, "column '" + columnName + "'", origin);
      ColumnType type = ColumnType.parse(YamlDocs.string(c, "type", origin), columnName);
      boolean nullable = Boolean.parseBoolean(String.valueOf(c.getOrDefault("nullable", "true")));
      columns.add(
          new ColumnSpec(
              columnName,
              type,
              nullable,
              number(c.get("min"), columnName, origin),
              number(c.get("max"), columnName, origin),
              YamlDocs.strings(c, "allowed"),
              c.get("pattern") == null ? null : String.valueOf(c.get("pattern")),
              c.get("source_type") == null
                  ? null
                  : ColumnType.parse(String.valueOf(c.get("source_type")), columnName)));
    }
    String labelColumn = null;
    List<String> labelValues = List.of();
    if (doc.get("label") instanceof Map<?, ?> label) {
      Map<String, Object> l = (Map<String, Object>) label;
      YamlDocs.requireKnownKeys(l, LABEL_KEYS, "'label'", origin);
      labelColumn = YamlDocs.string(l, "column", origin);
      labelValues = YamlDocs.strings(l, "values");
    } else if (doc.get("label") != null) {
      throw new IllegalArgumentException(
          "Cannot read " + origin + ": 'label' must be a mapping with 'column' and 'values'");
    }
    List<String> nullStrings =
        doc.containsKey("null_strings")
            ? YamlDocs.strings(doc, "null_strings")
            : List.of("", "NULL", "null", "N/A");
    Map<String, Object> canonical = new LinkedHashMap<>();
    canonical.put("name", name);
    canonical.put("columns", columns.stream().map(Object::toString).toList());
    canonical.put("label", labelColumn + ":" + labelValues);
    canonical.put("keys", YamlDocs.strings(doc, "keys"));
    canonical.put("null_strings", nullStrings);
    DriftPolicy drift = option(doc, "drift_policy", DriftPolicy.class, DriftPolicy.FAIL, origin);
    TextPolicy utf8 = option(doc, "invalid_utf8", TextPolicy.class, TextPolicy.QUARANTINE, origin);
    if (utf8 == TextPolicy.STRIP) {
      throw new IllegalArgumentException(
          "Cannot read " + origin + ": invalid_utf8 may be quarantine or allow, not strip");
    }
    TextPolicy control =
        option(doc, "control_chars", TextPolicy.class, TextPolicy.QUARANTINE, origin);
    canonical.put("policies", List.of(drift.name(), utf8.name(), control.name()));
    return new DataContract(
        name,
        columns,
        labelColumn,
        labelValues,
        YamlDocs.strings(doc, "keys"),
        nullStrings,
        drift,
        utf8,
        control,
        YamlDocs.toJson(canonical));
  }

  private static <E extends Enum<E>> E option(
      Map<String, Object> doc, String key, Class<E> type, E fallback, String origin) {
    Object value = doc.get(key);
    if (value == null) {
      return fallback;
    }
    try {
      return Enum.valueOf(type, String.valueOf(value).trim().toUpperCase(java.util.Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "Cannot read "
              + origin
              + ": "
              + key
              + " = '"
              + value
              + "' is not one of "
              + java.util.Arrays.toString(type.getEnumConstants())
                  .toLowerCase(java.util.Locale.ROOT));
    }
  }

  private static Double number(Object value, String column, String origin) {
    if (value == null) {
      return null;
    }
    try {
      return Double.valueOf(String.valueOf(value));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "Cannot read "
              + origin
              + ": min/max of column '"
              + column
              + "' must be a number, got '"
              + value
              + "'");
    }
  }
}

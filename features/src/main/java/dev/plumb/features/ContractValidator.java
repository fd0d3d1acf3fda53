package dev.plumb.features;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.array_compact;
import static org.apache.spark.sql.functions.array_contains;
import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.broadcast;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.encode;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.length;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.not;
import static org.apache.spark.sql.functions.octet_length;
import static org.apache.spark.sql.functions.regexp_replace;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.size;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.trim;
import static org.apache.spark.sql.functions.when;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.expressions.WindowSpec;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StructType;

/**
 * Checks rows against a {@link DataContract}. {@link #checkSchema} runs on the schema alone, before
 * any Spark job. {@link #annotate} adds, in one projection (plus one window when key columns are
 * declared), a cleaned value of every declared column and the list of every reason a row breaks the
 * contract; {@link #clean} and {@link #quarantine} then select what each table keeps.
 */
public final class ContractValidator {

  /** Column holding the reasons a row was rejected: {@code REASON:column} strings. */
  public static final String REASONS = "_plumb_reasons";

  public static final String NULL_REQUIRED = "NULL_REQUIRED";
  public static final String TYPE_MISMATCH = "TYPE_MISMATCH";
  public static final String OUT_OF_RANGE = "OUT_OF_RANGE";
  public static final String NOT_ALLOWED = "NOT_ALLOWED";
  public static final String PATTERN_MISMATCH = "PATTERN_MISMATCH";
  public static final String NAN_OR_INF = "NAN_OR_INF";
  public static final String BAD_LABEL = "BAD_LABEL";
  public static final String DUPLICATE_KEY = "DUPLICATE_KEY";
  public static final String BAD_ENCODING = "BAD_ENCODING";

  /** Every reason code, for reports and tests. */
  public static final List<String> REASON_CODES =
      List.of(
          NULL_REQUIRED,
          TYPE_MISMATCH,
          OUT_OF_RANGE,
          NOT_ALLOWED,
          PATTERN_MISMATCH,
          NAN_OR_INF,
          BAD_LABEL,
          DUPLICATE_KEY,
          BAD_ENCODING);

  private static final String CLEAN_PREFIX = "__clean_";
  // Control characters other than tab, LF and CR.
  private static final String CONTROL = "[\\x00-\\x08\\x0B\\x0C\\x0E-\\x1F\\x7F]";

  private final DataContract contract;

  public ContractValidator(DataContract contract) {
    this.contract = contract;
  }

  /**
   * Fails, naming every missing column and every type mismatch, when {@code schema} cannot satisfy
   * the contract (types as stored: a column with a {@code source_type} must be stored as it). Extra
   * columns are allowed and pass through.
   */
  public void checkSchema(StructType schema, String where) {
    Set<String> available = new TreeSet<>(Arrays.asList(schema.fieldNames()));
    List<String> missing = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    for (ColumnSpec spec : contract.columns()) {
      if (!available.contains(spec.name())) {
        missing.add(spec.name());
        continue;
      }
      DataType actual = schema.apply(spec.name()).dataType();
      if (!actual.equals(spec.storedType().sparkType())) {
        problems.add(
            "column '"
                + spec.name()
                + "' must be of type "
                + spec.storedType()
                + " but was "
                + actual.simpleString());
      }
    }
    if (!missing.isEmpty()) {
      throw FeatureErrors.missingColumns(
          "check the data contract '" + contract.name() + "'", missing, available, where);
    }
    if (!problems.isEmpty()) {
      throw FeatureErrors.wrongTypes(
          "check the data contract '" + contract.name() + "'", problems, where);
    }
  }

  private static String cleanName(String column) {
    return CLEAN_PREFIX + column;
  }

  private static Column quoted(String name) {
    return col("`" + name.replace("`", "``") + "`");
  }

  private static final int MAX_COLLECTED_DUPLICATE_KEYS = 100_000;

  /**
   * Finds the key values that occur more than once and, for each, the occurrence that is kept: the
   * first by ({@code fileColumn}, {@code rowColumn}). Costs one aggregation over the key columns
   * only (Parquet reads just those), plus a selective pass when there are duplicates. Returns null
   * when the contract declares no keys or no key repeats.
   */
  public Dataset<Row> duplicateWinners(Dataset<Row> data, String fileColumn, String rowColumn) {
    if (contract.keyColumns().isEmpty()) {
      return null;
    }
    Column[] keys =
        contract.keyColumns().stream().map(ContractValidator::quoted).toArray(Column[]::new);
    Column noNullKey = lit(true);
    for (Column k : keys) {
      noNullKey = noNullKey.and(k.isNotNull());
    }
    Dataset<Row> repeated =
        data.filter(noNullKey).groupBy(keys).count().filter(col("count").gt(1)).drop("count");
    List<Row> few = repeated.limit(MAX_COLLECTED_DUPLICATE_KEYS + 1).collectAsList();
    if (few.isEmpty()) {
      return null;
    }
    boolean small = few.size() <= MAX_COLLECTED_DUPLICATE_KEYS;
    Dataset<Row> dupKeys =
        small ? broadcast(data.sparkSession().createDataFrame(few, repeated.schema())) : repeated;
    Dataset<Row> winners =
        data.join(dupKeys, contract.keyColumns().toArray(new String[0]), "left_semi")
            .groupBy(keys)
            .agg(min(struct(col(fileColumn), col(rowColumn))).as(WINNER));
    if (small) {
      winners = data.sparkSession().createDataFrame(winners.collectAsList(), winners.schema());
    }
    return winners;
  }

  private static final String WINNER = "_plumb_first_occurrence";

  /**
   * Returns {@code data} with, for each declared column, its cleaned value (null strings made null,
   * control characters stripped when the contract says so, strings parsed into the declared type)
   * and a {@link #REASONS} column listing every rule each row breaks (empty when clean). The
   * original columns are kept unchanged for the quarantine.
   *
   * @param orderColumn a column that orders duplicates (the first occurrence of a key is kept), or
   *     null
   */
  public Dataset<Row> annotate(Dataset<Row> data, String orderColumn) {
    return annotate(data, orderColumn, null, null);
  }

  /**
   * As {@link #annotate(Dataset, String)}, but duplicates are found through {@code winners} (from
   * {@link #duplicateWinners}) by a broadcast join instead of a window over all rows.
   */
  public Dataset<Row> annotate(
      Dataset<Row> data, String fileColumn, String rowColumn, Dataset<Row> winners) {
    String orderColumn = fileColumn;
    checkSchema(data.schema(), "the input");
    Dataset<Row> out = data;
    boolean joined = winners != null && rowColumn != null;
    if (joined) {
      out = out.join(broadcast(winners), contract.keyColumns().toArray(new String[0]), "left");
    }
    List<Column> checks = new ArrayList<>();
    for (ColumnSpec spec : contract.columns()) {
      Column raw = quoted(spec.name());
      Column value = raw;
      String suffix = ":" + spec.name();
      if (spec.storedType() == ColumnType.STRING) {
        if (contract.invalidUtf8() == DataContract.TextPolicy.QUARANTINE) {
          // Only values with non-ASCII bytes can be invalid UTF-8: skip the costly re-encoding
          // (bytes -> String -> bytes) for the rest.
          checks.add(
              when(
                  raw.isNotNull()
                      .and(not(octet_length(raw).equalTo(length(raw))))
                      .and(not(raw.cast("binary").equalTo(encode(raw, "UTF-8")))),
                  lit(BAD_ENCODING + suffix)));
        }
        if (contract.controlChars() == DataContract.TextPolicy.QUARANTINE) {
          checks.add(when(raw.rlike(CONTROL), lit(BAD_ENCODING + suffix)));
        } else if (contract.controlChars() == DataContract.TextPolicy.STRIP) {
          value = regexp_replace(value, CONTROL, "");
        }
        if (!contract.nullStrings().isEmpty()) {
          value =
              when(value.isin(contract.nullStrings().toArray()), lit(null).cast("string"))
                  .otherwise(value);
        }
      }
      String clean = cleanName(spec.name());
      out = out.withColumn(clean, value);
      if (spec.parsed()) {
        out =
            out.withColumn(
                clean,
                expr("try_cast(trim(`" + clean + "`) as " + spec.type().sparkType().sql() + ")"));
        // A value that was there but did not parse: the row keeps it in the quarantine.
        Column before = trim(raw);
        Column wasPresent =
            before.isNotNull().and(not(before.isin(contract.nullStrings().toArray())));
        checks.add(when(wasPresent.and(col(clean).isNull()), lit(TYPE_MISMATCH + suffix)));
      }
      checks.addAll(checksFor(spec, col(clean)));
    }
    if (contract.labelColumn() != null && !contract.labelValues().isEmpty()) {
      Column label = col(cleanName(contract.labelColumn())).cast("string");
      checks.add(
          when(
              label.isNull().or(not(label.isin(contract.labelValues().toArray()))),
              lit(BAD_LABEL + ":" + contract.labelColumn())));
    }
    if (joined) {
      checks.add(
          when(
              col(WINNER)
                  .isNotNull()
                  .and(not(col(WINNER).equalTo(struct(col(fileColumn), col(rowColumn))))),
              lit(DUPLICATE_KEY + ":" + String.join(",", contract.keyColumns()))));
    } else if (!contract.keyColumns().isEmpty() && rowColumn == null) {
      Column[] keys =
          contract.keyColumns().stream().map(k -> col(cleanName(k))).toArray(Column[]::new);
      List<Column> order = new ArrayList<>();
      if (orderColumn != null) {
        order.add(col(orderColumn));
      }
      for (ColumnSpec spec : contract.columns()) {
        order.add(col(cleanName(spec.name())));
      }
      WindowSpec w = Window.partitionBy(keys).orderBy(order.toArray(new Column[0]));
      Column anyNullKey = lit(false);
      for (Column k : keys) {
        anyNullKey = anyNullKey.or(k.isNull());
      }
      checks.add(
          when(
              not(anyNullKey).and(row_number().over(w).gt(1)),
              lit(DUPLICATE_KEY + ":" + String.join(",", contract.keyColumns()))));
    }
    return out.withColumn(REASONS, array_compact(array(checks.toArray(new Column[0]))));
  }

  private static List<Column> checksFor(ColumnSpec spec, Column c) {
    List<Column> checks = new ArrayList<>();
    String suffix = ":" + spec.name();
    if (!spec.nullable()) {
      checks.add(when(c.isNull(), lit(NULL_REQUIRED + suffix)));
    }
    if (spec.type().isFloating()) {
      Column d = c.cast("double");
      checks.add(
          when(
              d.isNaN()
                  .or(d.equalTo(lit(Double.POSITIVE_INFINITY)))
                  .or(d.equalTo(lit(Double.NEGATIVE_INFINITY))),
              lit(NAN_OR_INF + suffix)));
    }
    if (spec.min() != null) {
      checks.add(when(c.cast("double").lt(lit(spec.min())), lit(OUT_OF_RANGE + suffix)));
    }
    if (spec.max() != null) {
      checks.add(when(c.cast("double").gt(lit(spec.max())), lit(OUT_OF_RANGE + suffix)));
    }
    if (!spec.allowed().isEmpty()) {
      checks.add(
          when(
              c.isNotNull().and(not(c.cast("string").isin(spec.allowed().toArray()))),
              lit(NOT_ALLOWED + suffix)));
    }
    if (spec.pattern() != null) {
      checks.add(
          when(
              c.isNotNull().and(not(c.rlike("^(?:" + spec.pattern() + ")$"))),
              lit(PATTERN_MISMATCH + suffix)));
    }
    return checks;
  }

  /** True for rows that break no rule. */
  public static Column isClean() {
    return size(col(REASONS)).equalTo(0);
  }

  /**
   * The clean table's columns: each declared column's cleaned value under its own name, then the
   * given extra columns (e.g. partition columns) as they are.
   */
  public Column[] cleanColumns(List<String> extra) {
    List<Column> out = new ArrayList<>();
    for (ColumnSpec spec : contract.columns()) {
      out.add(col(cleanName(spec.name())).as(spec.name()));
    }
    extra.forEach(e -> out.add(quoted(e)));
    return out.toArray(new Column[0]);
  }

  /** The quarantine's columns: the original values, extra columns and the reasons. */
  public Column[] quarantineColumns(List<String> extra) {
    List<Column> out = new ArrayList<>();
    for (ColumnSpec spec : contract.columns()) {
      out.add(quoted(spec.name()));
    }
    extra.forEach(e -> out.add(quoted(e)));
    out.add(col(REASONS).as("reasons"));
    return out.toArray(new Column[0]);
  }

  /**
   * Aggregations for the report, over annotated rows in one pass: rows, clean rows, and per
   * declared column its null count and, for numeric columns, min, max and mean of the cleaned
   * values.
   */
  public List<Column> reportAggregations() {
    List<Column> aggs = new ArrayList<>();
    aggs.add(count(lit(1)).as("rows"));
    aggs.add(sum(when(isClean(), 1L).otherwise(0L)).as("clean_rows"));
    for (ColumnSpec spec : contract.columns()) {
      Column c = col(cleanName(spec.name()));
      aggs.add(sum(when(c.isNull(), 1L).otherwise(0L)).as("nulls:" + spec.name()));
      if (spec.type().isNumeric()) {
        Column d =
            spec.type().isFloating()
                ? when(c.isNaN().or(c.cast("double").isin(1.0 / 0, -1.0 / 0)), null).otherwise(c)
                : c;
        aggs.add(min(d).cast("double").as("min:" + spec.name()));
        aggs.add(max(d).cast("double").as("max:" + spec.name()));
        aggs.add(avg(d).as("mean:" + spec.name()));
      }
    }
    return aggs;
  }

  /** Every reason string this contract can produce, e.g. {@code NOT_ALLOWED:city}. */
  public List<String> possibleReasons() {
    List<String> out = new ArrayList<>();
    for (ColumnSpec spec : contract.columns()) {
      String c = ":" + spec.name();
      if (spec.storedType() == ColumnType.STRING) {
        out.add(BAD_ENCODING + c);
      }
      if (spec.parsed()) {
        out.add(TYPE_MISMATCH + c);
      }
      if (!spec.nullable()) {
        out.add(NULL_REQUIRED + c);
      }
      if (spec.type().isFloating()) {
        out.add(NAN_OR_INF + c);
      }
      if (spec.min() != null || spec.max() != null) {
        out.add(OUT_OF_RANGE + c);
      }
      if (!spec.allowed().isEmpty()) {
        out.add(NOT_ALLOWED + c);
      }
      if (spec.pattern() != null) {
        out.add(PATTERN_MISMATCH + c);
      }
    }
    if (contract.labelColumn() != null && !contract.labelValues().isEmpty()) {
      out.add(BAD_LABEL + ":" + contract.labelColumn());
    }
    if (!contract.keyColumns().isEmpty()) {
      out.add(DUPLICATE_KEY + ":" + String.join(",", contract.keyColumns()));
    }
    return out.stream().distinct().toList();
  }

  /** One count per possible reason, named {@code reason:<REASON:column>}, for the same pass. */
  public List<Column> reasonAggregations() {
    return possibleReasons().stream()
        .map(r -> sum(when(array_contains(col(REASONS), r), 1L).otherwise(0L)).as("reason:" + r))
        .toList();
  }

  /**
   * Turns the values of {@link #reportAggregations()} (by name, as an {@code Observation} or a row
   * gives them) into per-column statistics.
   */
  public Map<String, Map<String, Object>> columnStatistics(Map<String, Object> values) {
    Map<String, Map<String, Object>> out = new LinkedHashMap<>();
    for (ColumnSpec spec : contract.columns()) {
      Map<String, Object> s = new LinkedHashMap<>();
      s.put("type", spec.type().toString());
      s.put("null_count", ((Number) values.get("nulls:" + spec.name())).longValue());
      if (spec.type().isNumeric()) {
        for (String k : List.of("min", "max", "mean")) {
          Object v = values.get(k + ":" + spec.name());
          s.put(k, v == null ? null : ((Number) v).doubleValue());
        }
      }
      out.put(spec.name(), s);
    }
    return out;
  }

  /** The declared columns, in contract order. */
  public List<String> declaredColumns() {
    return contract.columns().stream().map(ColumnSpec::name).toList();
  }
}

package dev.plumb.features.ingest;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.array_compact;
import static org.apache.spark.sql.functions.array_contains;
import static org.apache.spark.sql.functions.broadcast;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
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
import static org.apache.spark.sql.functions.xxhash64;

import dev.plumb.features.FeatureErrors;
import dev.plumb.features.io.SparkSql;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.expressions.WindowSpec;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StructType;

/**
 * Checks rows against a {@link DataContract}. {@link #checkSchema} runs on the schema alone, before
 * any Spark job. {@link #validate} adds, in one projection (plus a broadcast join or a window when
 * key columns are declared), a cleaned value of every declared column, and gives one boolean that
 * says whether a row breaks any rule and the expression listing every reason it does; {@link
 * #annotate} adds that list to every row. {@link #cleanColumns} and {@link #quarantineColumns} then
 * select what each table keeps.
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

  /**
   * A value the file stores as long that a double cannot hold exactly, read under {@code
   * drift_policy: cast_lossy}: the quarantine holds the nearest double, not the stored value.
   */
  public static final String LOSSY_CAST = "LOSSY_CAST";

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
          BAD_ENCODING,
          LOSSY_CAST);

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

  /**
   * The column {@link IngestPlan#readAs} adds next to a column read through a lossy widening: true
   * where the cast changed the value (the row is then quarantined as {@link #LOSSY_CAST}).
   */
  public static String lossyCastFlag(String column) {
    return "_plumb_lossy_cast_" + column;
  }

  private static String cleanName(String column) {
    return CLEAN_PREFIX + column;
  }

  private static final int MAX_COLLECTED_DUPLICATE_KEYS = 100_000;

  /**
   * Above this many rows the key hashes are not gathered on the driver (8 bytes a row) and
   * duplicates are found by an aggregation over the key columns instead.
   */
  public static final long MAX_HASHED_KEYS = 16_000_000L;

  /**
   * The rows that repeat a key seen earlier, by ({@code fileColumn}, {@code rowColumn}): either
   * listed ({@code losers}: file and row of each, few) or, when there are many, through {@code
   * winners} (the first occurrence of each repeated key, joined to every row).
   */
  public record Duplicates(List<KeyHashes.Occurrence> losers, Dataset<Row> winners) {}

  /**
   * Finds the key values that occur more than once and the rows that lose to the first occurrence
   * of their key by ({@code fileColumn}, {@code rowColumn}). Returns null when the contract
   * declares no keys or no key repeats.
   *
   * <p>With {@code expectedRows} known and at most {@link #MAX_HASHED_KEYS}, one scan of the key
   * columns only (Parquet reads just those) hashes every key to 64 bits and sends each partition's
   * sorted hashes (by input file) to the driver, which merges them: no shuffle. Only when a hash
   * repeats is there a second scan, of the files holding it when {@code readFiles} can read just
   * those (it may return null), that fetches those rows' keys, files and row indexes; the keys
   * themselves are compared there (a hash collision is not a duplicate). Otherwise ({@code
   * expectedRows} negative or above the limit, or too many repeats) an aggregation over the key
   * columns finds the first occurrences.
   */
  public Duplicates duplicates(
      Dataset<Row> data,
      String fileColumn,
      String rowColumn,
      long expectedRows,
      Function<Set<String>, Dataset<Row>> readFiles) {
    if (contract.keyColumns().isEmpty()) {
      return null;
    }
    Column[] keys = contract.keyColumns().stream().map(SparkSql::column).toArray(Column[]::new);
    Column noNullKey = lit(true);
    for (Column k : keys) {
      noNullKey = noNullKey.and(k.isNotNull());
    }
    Dataset<Row> candidates = data.filter(noNullKey);
    if (expectedRows >= 0 && expectedRows <= MAX_HASHED_KEYS) {
      Column hash = xxhash64(keys);
      List<KeyHashes.Chunk> chunks =
          candidates
              .select(hash)
              .as(Encoders.LONG())
              .javaRDD()
              .mapPartitions(KeyHashes::sortedChunks)
              .collect();
      long[] repeatedHashes =
          KeyHashes.repeated(chunks.stream().map(KeyHashes.Chunk::sorted).toList());
      if (repeatedHashes.length == 0) {
        return null;
      }
      if (repeatedHashes.length <= MAX_COLLECTED_DUPLICATE_KEYS) {
        // Only the files holding a repeated hash are read again, for their keys and positions.
        Set<String> files = KeyHashes.filesHolding(chunks, repeatedHashes);
        long expected = KeyHashes.occurrences(chunks, repeatedHashes);
        Column repeated = noNullKey.and(hash.isin(Arrays.stream(repeatedHashes).boxed().toArray()));
        List<Column> fetched = new ArrayList<>(Arrays.asList(keys));
        fetched.add(col(fileColumn));
        fetched.add(col(rowColumn));
        Function<Dataset<Row>, List<Row>> fetch =
            from ->
                from.filter(repeated)
                    .select(fetched.toArray(new Column[0]))
                    .limit(MAX_COLLECTED_DUPLICATE_KEYS + 1)
                    .collectAsList();
        Dataset<Row> holding =
            readFiles == null || files.contains("") ? null : readFiles.apply(files);
        List<Row> occurrences = holding == null ? null : fetch.apply(holding);
        if (occurrences == null || occurrences.size() != expected) {
          // Not every row with a repeated hash was in the files read: read them all.
          occurrences = fetch.apply(data);
        }
        if (occurrences.size() <= MAX_COLLECTED_DUPLICATE_KEYS) {
          List<KeyHashes.Occurrence> losers = KeyHashes.losers(occurrences, keys.length);
          return losers.isEmpty() ? null : new Duplicates(losers, null);
        }
        candidates = data.filter(repeated);
      }
    }
    Dataset<Row> winners =
        candidates
            .groupBy(keys)
            .agg(
                count(lit(1)).as("_plumb_n"),
                min(struct(col(fileColumn), col(rowColumn))).as(WINNER))
            .filter(col("_plumb_n").gt(1))
            .drop("_plumb_n");
    List<Row> few = winners.limit(MAX_COLLECTED_DUPLICATE_KEYS + 1).collectAsList();
    if (few.isEmpty()) {
      return null;
    }
    return new Duplicates(
        null,
        few.size() <= MAX_COLLECTED_DUPLICATE_KEYS
            ? data.sparkSession().createDataFrame(few, winners.schema())
            : winners);
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
   * {@link #duplicates}) instead of a window over all rows.
   */
  public Dataset<Row> annotate(
      Dataset<Row> data, String fileColumn, String rowColumn, Duplicates duplicates) {
    return validate(data, fileColumn, rowColumn, duplicates).annotated();
  }

  /**
   * The rows to validate with their cleaned values, and two expressions over them: {@code broken}
   * is true for a row that breaks at least one rule (false otherwise, never null), and {@code
   * reasons} lists every rule it breaks. The clean pass filters on {@code not(broken)} alone, a
   * plain boolean the whole stage compiles to code; the array of reason strings is built only for
   * the rows that are quarantined.
   */
  public record Validation(Dataset<Row> rows, Column broken, Column reasons) {

    /** The rows with their {@link #REASONS} (empty for a clean row). */
    public Dataset<Row> annotated() {
      return rows.withColumn(REASONS, reasons);
    }

    /** The rows that break no rule. */
    public Dataset<Row> cleanRows() {
      return rows.filter(not(broken));
    }

    /** The rows that break a rule, with their {@link #REASONS}. */
    public Dataset<Row> quarantinedRows() {
      return rows.filter(broken).withColumn(REASONS, reasons);
    }
  }

  /** A rule of the contract: the reason a row gets when {@code broken} is true. */
  private record Rule(String reason, Column broken, boolean neededForCleanRows) {
    Rule(String reason, Column broken) {
      this(reason, broken, true);
    }
  }

  /**
   * Validates as {@link #annotate(Dataset, String, String, Dataset)} does, without building the
   * reasons of clean rows.
   */
  public Validation validate(
      Dataset<Row> data, String fileColumn, String rowColumn, Duplicates duplicates) {
    String orderColumn = fileColumn;
    Dataset<Row> winners = duplicates == null ? null : duplicates.winners();
    List<KeyHashes.Occurrence> losers = duplicates == null ? null : duplicates.losers();
    checkSchema(data.schema(), "the input");
    Dataset<Row> out = data;
    boolean joined = winners != null && rowColumn != null;
    if (joined) {
      out = out.join(broadcast(winners), contract.keyColumns().toArray(new String[0]), "left");
    }
    List<Rule> rules = new ArrayList<>();
    for (ColumnSpec spec : contract.columns()) {
      Column raw = SparkSql.column(spec.name());
      Column value = raw;
      String suffix = ":" + spec.name();
      // A value in the allowed list (or a null string) is plain text: its encoding checks cannot
      // fail when it passes the NOT_ALLOWED rule, so clean rows need not run them.
      boolean encodingImplied =
          spec.type() == ColumnType.STRING
              && !spec.parsed()
              && !spec.allowed().isEmpty()
              && contract.controlChars() != DataContract.TextPolicy.STRIP
              && plainText(spec.allowed())
              && plainText(contract.nullStrings());
      if (spec.storedType() == ColumnType.STRING) {
        if (contract.invalidUtf8() == DataContract.TextPolicy.QUARANTINE) {
          // Only values with non-ASCII bytes can be invalid UTF-8: skip the costly re-encoding
          // (bytes -> String -> bytes) for the rest.
          rules.add(
              new Rule(
                  BAD_ENCODING + suffix,
                  raw.isNotNull()
                      .and(not(octet_length(raw).equalTo(length(raw))))
                      .and(not(raw.cast("binary").equalTo(encode(raw, "UTF-8")))),
                  !encodingImplied));
        }
        if (contract.controlChars() == DataContract.TextPolicy.QUARANTINE) {
          rules.add(new Rule(BAD_ENCODING + suffix, raw.rlike(CONTROL), !encodingImplied));
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
        rules.add(new Rule(TYPE_MISMATCH + suffix, wasPresent.and(col(clean).isNull())));
      }
      if (data.schema().getFieldIndex(lossyCastFlag(spec.name())).isDefined()) {
        rules.add(
            new Rule(
                LOSSY_CAST + suffix,
                coalesce(SparkSql.column(lossyCastFlag(spec.name())), lit(false))));
      }
      rules.addAll(rulesFor(spec, col(clean)));
    }
    if (contract.labelColumn() != null && !contract.labelValues().isEmpty()) {
      ColumnSpec labelSpec = contract.column(contract.labelColumn());
      Column label = col(cleanName(contract.labelColumn()));
      rules.add(
          new Rule(
              BAD_LABEL + ":" + contract.labelColumn(),
              label.isNull().or(not(in(label, labelSpec.type(), contract.labelValues())))));
    }
    String duplicate = DUPLICATE_KEY + ":" + String.join(",", contract.keyColumns());
    if (losers != null && rowColumn != null) {
      // Few losers: a set lookup on the row index, and on file and row only where that matches.
      Object[] rowsOfLosers = losers.stream().map(KeyHashes.Occurrence::row).distinct().toArray();
      Object[] ids = losers.stream().map(KeyHashes.Occurrence::id).toArray();
      rules.add(
          new Rule(
              duplicate,
              col(rowColumn)
                  .isin(rowsOfLosers)
                  .and(
                      concat(col(fileColumn), lit("#"), col(rowColumn).cast("string")).isin(ids))));
    } else if (joined) {
      rules.add(
          new Rule(
              duplicate,
              col(WINNER)
                  .isNotNull()
                  .and(not(col(WINNER).equalTo(struct(col(fileColumn), col(rowColumn)))))));
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
      out = out.withColumn(RANK, row_number().over(w));
      rules.add(new Rule(duplicate, not(anyNullKey).and(col(RANK).gt(1))));
    }
    Column broken = lit(false);
    for (Rule rule : rules) {
      if (rule.neededForCleanRows()) {
        broken = broken.or(rule.broken());
      }
    }
    Column reasons =
        array_compact(
            array(
                rules.stream().map(r -> when(r.broken(), lit(r.reason()))).toArray(Column[]::new)));
    return new Validation(out, coalesce(broken, lit(false)), reasons);
  }

  private static final String RANK = "_plumb_key_rank";

  /** True when every value is text that cannot hold a control character or bad UTF-8. */
  private static boolean plainText(List<String> values) {
    for (String v : values) {
      for (int i = 0; i < v.length(); i++) {
        char c = v.charAt(i);
        if (c < 0x20 || c == 0x7F || Character.isSurrogate(c)) {
          return false;
        }
      }
    }
    return true;
  }

  /**
   * {@code c IN values}, with values given as strings and compared as the column's value cast to a
   * string would be. For int and long columns whose values are all canonical integers, compared as
   * numbers: the same answer without turning every value into a string.
   */
  private static Column in(Column c, ColumnType type, List<String> values) {
    if (type == ColumnType.INT || type == ColumnType.LONG) {
      List<Long> numbers = new ArrayList<>();
      for (String v : values) {
        try {
          long n = Long.parseLong(v);
          if (!Long.toString(n).equals(v)) {
            numbers = null;
            break;
          }
          numbers.add(n);
        } catch (NumberFormatException e) {
          numbers = null;
          break;
        }
      }
      if (numbers != null) {
        return c.cast("long").isin(numbers.toArray());
      }
    }
    return c.cast("string").isin(values.toArray());
  }

  /**
   * The per-value rules of one declared column, on its value already of the declared type (null
   * strings read as null): each reason ({@code NULL_REQUIRED:<column>}, {@code
   * OUT_OF_RANGE:<column>}, {@code NOT_ALLOWED:<column>}, ...) with the condition that breaks it.
   * Ingest quarantines rows by these rules; {@code plumb monitor} counts them without writing a
   * quarantine.
   */
  public static Map<String, Column> columnRules(ColumnSpec spec, Column value) {
    Map<String, Column> out = new java.util.LinkedHashMap<>();
    for (Rule r : rulesFor(spec, value)) {
      out.merge(r.reason(), r.broken(), Column::or);
    }
    return out;
  }

  private static List<Rule> rulesFor(ColumnSpec spec, Column c) {
    List<Rule> rules = new ArrayList<>();
    String suffix = ":" + spec.name();
    if (!spec.nullable()) {
      rules.add(new Rule(NULL_REQUIRED + suffix, c.isNull()));
    }
    if (spec.type().isFloating()) {
      Column d = c.cast("double");
      rules.add(
          new Rule(
              NAN_OR_INF + suffix,
              d.isNaN()
                  .or(d.equalTo(lit(Double.POSITIVE_INFINITY)))
                  .or(d.equalTo(lit(Double.NEGATIVE_INFINITY)))));
    }
    if (spec.min() != null) {
      rules.add(new Rule(OUT_OF_RANGE + suffix, c.cast("double").lt(lit(spec.min()))));
    }
    if (spec.max() != null) {
      rules.add(new Rule(OUT_OF_RANGE + suffix, c.cast("double").gt(lit(spec.max()))));
    }
    if (!spec.allowed().isEmpty()) {
      rules.add(
          new Rule(
              NOT_ALLOWED + suffix, c.isNotNull().and(not(in(c, spec.type(), spec.allowed())))));
    }
    if (spec.pattern() != null) {
      rules.add(
          new Rule(
              PATTERN_MISMATCH + suffix,
              c.isNotNull().and(not(c.rlike("^(?:" + spec.pattern() + ")$")))));
    }
    return rules;
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
    extra.forEach(e -> out.add(SparkSql.column(e)));
    return out.toArray(new Column[0]);
  }

  /** The quarantine's columns: the original values, extra columns and the reasons. */
  public Column[] quarantineColumns(List<String> extra) {
    List<Column> out = new ArrayList<>();
    for (ColumnSpec spec : contract.columns()) {
      out.add(SparkSql.column(spec.name()));
    }
    extra.forEach(e -> out.add(SparkSql.column(e)));
    out.add(col(REASONS).as("reasons"));
    return out.toArray(new Column[0]);
  }

  /**
   * Mergeable statistics of one declared column's cleaned values: the null count and, for numeric
   * columns, the count, min, max and sum of the finite values (min and max null when there are
   * none; sum null when not known).
   */
  public record ColumnStats(long nulls, long values, Double min, Double max, Double sum) {

    /** No rows. */
    public static final ColumnStats NONE = new ColumnStats(0, 0, null, null, 0.0);

    /** The statistics of both sets of rows together. */
    public ColumnStats plus(ColumnStats o) {
      return new ColumnStats(
          nulls + o.nulls,
          values + o.values,
          either(min, o.min, Math::min),
          either(max, o.max, Math::max),
          sum == null || o.sum == null ? null : Double.valueOf(sum + o.sum));
    }

    private static Double either(Double a, Double b, java.util.function.BinaryOperator<Double> f) {
      if (a == null) {
        return b;
      }
      return b == null ? a : f.apply(a, b);
    }
  }

  /**
   * Aggregations of {@link ColumnStats} over validated rows (their cleaned values), named {@code
   * nulls:<column>}, {@code values:<column>}, {@code min:<column>}, {@code max:<column>} and {@code
   * sum:<column>}; read them back with {@link #statistics}. NaN and infinities are left out of the
   * numeric ones.
   */
  public List<Column> statisticsAggregations() {
    return statisticsAggregations(name -> col(cleanName(name)));
  }

  /** As {@link #statisticsAggregations()}, over the clean table (declared names). */
  public List<Column> cleanTableStatisticsAggregations() {
    return statisticsAggregations(SparkSql::column);
  }

  private List<Column> statisticsAggregations(java.util.function.Function<String, Column> column) {
    List<Column> aggs = new ArrayList<>();
    for (ColumnSpec spec : contract.columns()) {
      Column c = column.apply(spec.name());
      aggs.add(sum(when(c.isNull(), 1L).otherwise(0L)).as("nulls:" + spec.name()));
      if (spec.type().isNumeric()) {
        Column d =
            spec.type().isFloating()
                ? when(c.isNaN().or(c.cast("double").isin(1.0 / 0, -1.0 / 0)), null).otherwise(c)
                : c;
        aggs.add(count(d).as("values:" + spec.name()));
        aggs.add(min(d).cast("double").as("min:" + spec.name()));
        aggs.add(max(d).cast("double").as("max:" + spec.name()));
        aggs.add(sum(d.cast("double")).as("sum:" + spec.name()));
      }
    }
    return aggs;
  }

  /**
   * Sums of the numeric declared columns over clean-table rows (declared names), named {@code
   * sum:<column>}: with the table's own file statistics they make the mean.
   */
  public List<Column> cleanSumAggregations() {
    List<Column> aggs = new ArrayList<>();
    for (ColumnSpec spec : contract.columns()) {
      if (spec.type().isNumeric()) {
        aggs.add(sum(SparkSql.column(spec.name()).cast("double")).as("sum:" + spec.name()));
      }
    }
    return aggs;
  }

  /** Reads the values of {@link #statisticsAggregations()} (by name) back, per declared column. */
  public Map<String, ColumnStats> statistics(Map<String, Object> values) {
    Map<String, ColumnStats> out = new LinkedHashMap<>();
    for (ColumnSpec spec : contract.columns()) {
      String n = spec.name();
      long nulls = number(values.get("nulls:" + n), 0L).longValue();
      if (spec.type().isNumeric()) {
        long count = number(values.get("values:" + n), 0L).longValue();
        out.put(
            n,
            new ColumnStats(
                nulls,
                count,
                asDouble(values.get("min:" + n)),
                asDouble(values.get("max:" + n)),
                count == 0 ? Double.valueOf(0.0) : asDouble(values.get("sum:" + n))));
      } else {
        out.put(n, new ColumnStats(nulls, 0, null, null, null));
      }
    }
    return out;
  }

  private static Number number(Object v, Number otherwise) {
    return v == null ? otherwise : (Number) v;
  }

  private static Double asDouble(Object v) {
    return v == null ? null : ((Number) v).doubleValue();
  }

  /**
   * The report's per-column statistics: type and null count, and for numeric columns min, max and
   * mean of the finite values (null when there are none).
   */
  public Map<String, Map<String, Object>> report(Map<String, ColumnStats> stats) {
    Map<String, Map<String, Object>> out = new LinkedHashMap<>();
    for (ColumnSpec spec : contract.columns()) {
      ColumnStats c = stats.getOrDefault(spec.name(), ColumnStats.NONE);
      Map<String, Object> s = new LinkedHashMap<>();
      s.put("type", spec.type().toString());
      s.put("null_count", c.nulls());
      if (spec.type().isNumeric()) {
        s.put("min", c.min());
        s.put("max", c.max());
        s.put("mean", c.values() == 0 || c.sum() == null ? null : c.sum() / c.values());
      }
      out.put(spec.name(), s);
    }
    return out;
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
      if (contract.driftPolicy() == DataContract.DriftPolicy.CAST_LOSSY
          && spec.storedType() == ColumnType.DOUBLE) {
        out.add(LOSSY_CAST + c);
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

  /** The contract rows are checked against. */
  public DataContract contract() {
    return contract;
  }

  /** The declared columns, in contract order. */
  public List<String> declaredColumns() {
    return contract.columns().stream().map(ColumnSpec::name).toList();
  }
}

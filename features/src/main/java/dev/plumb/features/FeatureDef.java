package dev.plumb.features;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.broadcast;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.collect_set;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.dayofmonth;
import static org.apache.spark.sql.functions.dayofweek;
import static org.apache.spark.sql.functions.dayofyear;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.hour;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.log1p;
import static org.apache.spark.sql.functions.map_from_arrays;
import static org.apache.spark.sql.functions.minute;
import static org.apache.spark.sql.functions.month;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.try_element_at;
import static org.apache.spark.sql.functions.when;
import static org.apache.spark.sql.functions.year;

import dev.plumb.features.io.Log;
import dev.plumb.features.io.YamlDocs;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.expressions.WindowSpec;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.StructType;

/**
 * One feature definition of a {@link FeatureSetSpec}, as written under {@code features:} in the
 * spec YAML. Every output is a double column (null = missing), so any mix of definitions feeds
 * XGBoost as is. Definitions read raw input columns only (no chaining), and stateful ones are
 * fitted on the training split only ({@link #fitAggregates()}, {@link #fitState(Row)}).
 */
public sealed interface FeatureDef {

  /** The {@code type:} values of the spec, in documentation order. */
  List<String> TYPES =
      List.of(
          "numeric",
          "log1p",
          "clip",
          "quantile_buckets",
          "categorical",
          "missing_indicator",
          "ratio",
          "difference",
          "date_part",
          "window");

  /** The feature's name: its output column (one-hot: the prefix of its output columns). */
  String name();

  /** The raw input columns it reads. */
  List<String> inputs();

  /** Everything that defines it, in a fixed key order with defaults filled in. */
  Map<String, Object> canonical();

  /** Adds a "column X must be of type T but was U" line to {@code problems} per bad input. */
  void checkTypes(StructType schema, List<String> problems);

  /** The output columns, given the state fitted on the training split. */
  List<Output> outputs(Map<String, Object> state);

  /** Aggregates over the training split that fit this definition (aliased uniquely). */
  default List<Column> fitAggregates() {
    return List.of();
  }

  /** The fitted state (plain JSON values) read from the row of {@link #fitAggregates()}. */
  default Map<String, Object> fitState(Row row) {
    return Map.of();
  }

  /** One output column: its name, its manifest type, and its expression. */
  record Output(String name, String type, Column value) {}

  // ---------------------------------------------------------------------------------------------
  // Parsing

  /** Parses one entry of the spec's {@code features:} list; unknown keys are rejected. */
  static FeatureDef parse(Map<String, Object> m, String origin) {
    String name = YamlDocs.string(m, "name", origin);
    String where = "feature '" + name + "'";
    String type = YamlDocs.string(m, "type", origin + " (" + where + ")");
    String column = m.containsKey("column") ? String.valueOf(m.get("column")) : name;
    switch (type) {
      case "numeric" -> {
        keys(m, Set.of("impute"), where, origin);
        String impute = m.containsKey("impute") ? String.valueOf(m.get("impute")) : "none";
        return new NumericFeature(name, column, impute);
      }
      case "log1p" -> {
        keys(m, Set.of(), where, origin);
        return new Log1pFeature(name, column);
      }
      case "clip" -> {
        keys(m, Set.of("min", "max"), where, origin);
        return new ClipFeature(name, column, number(m, "min", origin), number(m, "max", origin));
      }
      case "quantile_buckets" -> {
        keys(m, Set.of("buckets"), where, origin);
        Double b = number(m, "buckets", origin);
        return new QuantileBucketsFeature(name, column, b == null ? 4 : b.intValue());
      }
      case "categorical" -> {
        keys(m, Set.of("encoding"), where, origin);
        String encoding = m.containsKey("encoding") ? String.valueOf(m.get("encoding")) : "index";
        return new CategoricalFeature(name, column, encoding);
      }
      case "missing_indicator" -> {
        keys(m, Set.of(), where, origin);
        return new MissingIndicatorFeature(name, column);
      }
      case "ratio", "difference" -> {
        Set<String> valid = Set.of("name", "type", "left", "right");
        YamlDocs.requireKnownKeys(m, valid, where, origin);
        return new PairFeature(
            name,
            type,
            YamlDocs.string(m, "left", origin + " (" + where + ")"),
            YamlDocs.string(m, "right", origin + " (" + where + ")"));
      }
      case "date_part" -> {
        keys(m, Set.of("part"), where, origin);
        return new DatePartFeature(name, column, YamlDocs.string(m, "part", origin));
      }
      case "window" -> {
        keys(m, Set.of("fn", "days", "by"), where, origin);
        Double days = number(m, "days", origin);
        return new WindowFeature(
            name,
            m.containsKey("column") ? column : "",
            YamlDocs.string(m, "fn", origin + " (" + where + ")"),
            days == null ? 0 : days.intValue(),
            m.containsKey("by") ? String.valueOf(m.get("by")) : "");
      }
      default ->
          throw FeatureErrors.invalidSpec(
              "read " + origin,
              "unknown feature type '" + type + "' for " + where,
              "use one of " + TYPES);
    }
  }

  private static void keys(Map<String, Object> m, Set<String> extra, String where, String origin) {
    Set<String> valid = new java.util.TreeSet<>(extra);
    valid.addAll(List.of("name", "type", "column"));
    YamlDocs.requireKnownKeys(m, valid, where, origin);
  }

  private static Double number(Map<String, Object> m, String key, String origin) {
    Object v = m.get(key);
    if (v == null) {
      return null;
    }
    try {
      return Double.parseDouble(String.valueOf(v));
    } catch (NumberFormatException e) {
      throw FeatureErrors.invalidSpec(
          "read " + origin, "'" + key + "' must be a number but was '" + v + "'", "fix the value");
    }
  }

  private static Map<String, Object> base(String name, String type, String column) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", name);
    m.put("type", type);
    if (column != null) {
      m.put("column", column);
    }
    return m;
  }

  private static void requireNumeric(StructType schema, String c, List<String> problems) {
    DataType t = schema.apply(c).dataType();
    if (!(t instanceof NumericType) && !t.equals(DataTypes.BooleanType)) {
      problems.add("column '" + c + "' must be numeric but was " + t.simpleString());
    }
  }

  private static Column asDouble(String c) {
    return col(c).cast("double");
  }

  private static Column isMissing(String c) {
    Column d = asDouble(c);
    return col(c).isNull().or(d.isNaN());
  }

  /** Spark's exact {@code percentile} (linear interpolation) of the non-missing values. */
  private static Column exactPercentiles(String column, String probabilities) {
    String c = "cast(`" + column + "` as double)";
    return expr(
        "percentile(case when isnan("
            + c
            + ") then null else "
            + c
            + " end, "
            + probabilities
            + ")");
  }

  private static String fitAlias(String feature, String stat) {
    return "__fit__" + feature + "__" + stat;
  }

  private static IllegalArgumentException invalid(String name, String reason, String fix) {
    return FeatureErrors.invalidSpec("define feature '" + name + "'", reason, fix);
  }

  // ---------------------------------------------------------------------------------------------
  // Definitions

  /**
   * A numeric column as a double; with {@code impute: mean|median} a missing value takes the mean
   * or exact median of the training split (fitted state {@code impute_value}).
   */
  record NumericFeature(String name, String column, String impute) implements FeatureDef {
    public NumericFeature {
      if (!List.of("none", "mean", "median").contains(impute)) {
        throw invalid(name, "impute '" + impute + "' is unknown", "use none, mean or median");
      }
    }

    @Override
    public List<String> inputs() {
      return List.of(column);
    }

    @Override
    public Map<String, Object> canonical() {
      Map<String, Object> m = base(name, "numeric", column);
      m.put("impute", impute);
      return m;
    }

    @Override
    public void checkTypes(StructType schema, List<String> problems) {
      requireNumeric(schema, column, problems);
    }

    @Override
    public List<Column> fitAggregates() {
      Column clean = when(isMissing(column), lit(null)).otherwise(asDouble(column));
      return switch (impute) {
        case "mean" -> List.of(org.apache.spark.sql.functions.avg(clean).as(fitAlias(name, "v")));
        case "median" -> List.of(exactPercentiles(column, "0.5").as(fitAlias(name, "v")));
        default -> List.of();
      };
    }

    @Override
    public Map<String, Object> fitState(Row row) {
      if (impute.equals("none")) {
        return Map.of();
      }
      Object v = row.get(row.fieldIndex(fitAlias(name, "v")));
      Map<String, Object> s = new LinkedHashMap<>();
      s.put("impute_value", v); // null when the training split has no value at all
      return s;
    }

    @Override
    public List<Output> outputs(Map<String, Object> state) {
      Column v = asDouble(column);
      Object fill = state.get("impute_value");
      if (fill != null) {
        v = when(isMissing(column), lit(((Number) fill).doubleValue())).otherwise(v);
      }
      return List.of(new Output(name, impute.equals("none") ? "numeric" : "numeric_imputed", v));
    }
  }

  /** {@code log(1 + x)}; null when x is missing or x <= -1 (undefined). */
  record Log1pFeature(String name, String column) implements FeatureDef {
    @Override
    public List<String> inputs() {
      return List.of(column);
    }

    @Override
    public Map<String, Object> canonical() {
      return base(name, "log1p", column);
    }

    @Override
    public void checkTypes(StructType schema, List<String> problems) {
      requireNumeric(schema, column, problems);
    }

    @Override
    public List<Output> outputs(Map<String, Object> state) {
      Column x = asDouble(column);
      return List.of(
          new Output(name, "log1p", when(x.gt(lit(-1.0)), log1p(x)).otherwise(lit(null))));
    }
  }

  /** The value clipped to [min, max] (either bound optional); missing stays missing. */
  record ClipFeature(String name, String column, Double min, Double max) implements FeatureDef {
    public ClipFeature {
      if (min == null && max == null) {
        throw invalid(name, "clip needs min, max or both", "add min: and/or max:");
      }
      if (min != null && max != null && min > max) {
        throw invalid(name, "min " + min + " is above max " + max, "swap them");
      }
    }

    @Override
    public List<String> inputs() {
      return List.of(column);
    }

    @Override
    public Map<String, Object> canonical() {
      Map<String, Object> m = base(name, "clip", column);
      m.put("min", min);
      m.put("max", max);
      return m;
    }

    @Override
    public void checkTypes(StructType schema, List<String> problems) {
      requireNumeric(schema, column, problems);
    }

    @Override
    public List<Output> outputs(Map<String, Object> state) {
      Column x = asDouble(column);
      Column v = x;
      if (max != null) {
        v = when(x.gt(lit(max)), lit(max)).otherwise(v);
      }
      if (min != null) {
        v = when(x.lt(lit(min)), lit(min)).otherwise(v);
      }
      return List.of(new Output(name, "clip", v));
    }
  }

  /**
   * The bucket index 0..k of the value among edges at the training split's exact quantiles
   * 1/n..(n-1)/n (duplicate edges merged): the number of edges e with x >= e. Missing stays
   * missing.
   */
  record QuantileBucketsFeature(String name, String column, int buckets) implements FeatureDef {
    public QuantileBucketsFeature {
      if (buckets < 2) {
        throw invalid(name, "buckets must be at least 2 but was " + buckets, "use buckets: 4");
      }
    }

    @Override
    public List<String> inputs() {
      return List.of(column);
    }

    @Override
    public Map<String, Object> canonical() {
      Map<String, Object> m = base(name, "quantile_buckets", column);
      m.put("buckets", buckets);
      return m;
    }

    @Override
    public void checkTypes(StructType schema, List<String> problems) {
      requireNumeric(schema, column, problems);
    }

    @Override
    public List<Column> fitAggregates() {
      // percentile is exact (linear interpolation between the closest ranks), in the same pass as
      // every other fitted statistic.
      StringBuilder probs = new StringBuilder();
      for (int i = 1; i < buckets; i++) {
        probs.append(i == 1 ? "" : ", ").append((double) i / buckets);
      }
      return List.of(exactPercentiles(column, "array(" + probs + ")").as(fitAlias(name, "edges")));
    }

    @Override
    public Map<String, Object> fitState(Row row) {
      List<Object> raw = row.getList(row.fieldIndex(fitAlias(name, "edges")));
      List<Double> edges = new ArrayList<>();
      if (raw != null) {
        for (Object o : raw) {
          double e = ((Number) o).doubleValue();
          if (edges.isEmpty() || edges.get(edges.size() - 1) != e) {
            edges.add(e);
          }
        }
      }
      Map<String, Object> s = new LinkedHashMap<>();
      s.put("edges", edges);
      return s;
    }

    @Override
    public List<Output> outputs(Map<String, Object> state) {
      Column x = asDouble(column);
      Column bucket = lit(0.0);
      for (Object e : (List<?>) state.get("edges")) {
        bucket = bucket.plus(when(x.geq(lit(((Number) e).doubleValue())), 1.0).otherwise(0.0));
      }
      return List.of(
          new Output(
              name, "quantile_bucket", when(isMissing(column), lit(null)).otherwise(bucket)));
    }
  }

  /**
   * A categorical column (compared as text). Levels are the training split's distinct non-null
   * values, sorted. {@code encoding: index}: level i is i, anything else (unseen, null) is n.
   * {@code encoding: one_hot}: one 0/1 column per level, {@code <name>_<level>}, plus {@code
   * <name>__unseen} for unseen values and null.
   */
  record CategoricalFeature(String name, String column, String encoding) implements FeatureDef {

    /** Suffix of the one-hot column of unseen values and null. */
    public static final String UNSEEN = "__unseen";

    public CategoricalFeature {
      if (!encoding.equals("index") && !encoding.equals("one_hot")) {
        throw invalid(name, "encoding '" + encoding + "' is unknown", "use index or one_hot");
      }
    }

    @Override
    public List<String> inputs() {
      return List.of(column);
    }

    @Override
    public Map<String, Object> canonical() {
      Map<String, Object> m = base(name, "categorical", column);
      m.put("encoding", encoding);
      return m;
    }

    @Override
    public void checkTypes(StructType schema, List<String> problems) {
      DataType t = schema.apply(column).dataType();
      if (!(t instanceof StringType)
          && !(t instanceof NumericType)
          && !t.equals(DataTypes.BooleanType)) {
        problems.add(
            "column '"
                + column
                + "' must be string, numeric or boolean but was "
                + t.simpleString());
      }
    }

    @Override
    public List<Column> fitAggregates() {
      return List.of(collect_set(col(column).cast("string")).as(fitAlias(name, "levels")));
    }

    @Override
    public Map<String, Object> fitState(Row row) {
      List<String> levels =
          new ArrayList<>(row.<String>getList(row.fieldIndex(fitAlias(name, "levels"))));
      levels.sort(null);
      Map<String, Object> s = new LinkedHashMap<>();
      s.put("levels", levels);
      return s;
    }

    @Override
    public List<Output> outputs(Map<String, Object> state) {
      List<String> levels = new ArrayList<>();
      for (Object o : (List<?>) state.get("levels")) {
        levels.add(String.valueOf(o));
      }
      Column text = col(column).cast("string");
      List<Output> out = new ArrayList<>();
      if (encoding.equals("index")) {
        Column unseen = lit((double) levels.size());
        Column idx = unseen;
        if (!levels.isEmpty()) {
          Column[] keys = levels.stream().map(l -> lit(l)).toArray(Column[]::new);
          Column[] values = new Column[levels.size()];
          for (int i = 0; i < values.length; i++) {
            values[i] = lit((double) i);
          }
          idx = coalesce(try_element_at(map_from_arrays(array(keys), array(values)), text), unseen);
        }
        out.add(new Output(name, "categorical_index", idx));
        return out;
      }
      for (String level : levels) {
        out.add(
            new Output(
                name + "_" + level.replaceAll("[^A-Za-z0-9_]", "_"),
                "one_hot",
                when(text.equalTo(lit(level)), 1.0).otherwise(0.0)));
      }
      out.add(
          new Output(
              name + UNSEEN,
              "one_hot_unseen",
              levels.isEmpty() ? lit(1.0) : when(text.isin(levels.toArray()), 0.0).otherwise(1.0)));
      return out;
    }
  }

  /** 1 when the column is null (or NaN), else 0. */
  record MissingIndicatorFeature(String name, String column) implements FeatureDef {
    @Override
    public List<String> inputs() {
      return List.of(column);
    }

    @Override
    public Map<String, Object> canonical() {
      return base(name, "missing_indicator", column);
    }

    @Override
    public void checkTypes(StructType schema, List<String> problems) {
      // any type: only nullness is read
    }

    @Override
    public List<Output> outputs(Map<String, Object> state) {
      // Any type casts to text; only floating NaN reads "NaN".
      Column missing = col(column).isNull().or(col(column).cast("string").equalTo(lit("NaN")));
      return List.of(new Output(name, "missing_indicator", when(missing, 1.0).otherwise(0.0)));
    }
  }

  /**
   * {@code type: ratio} (left / right; null when right is 0 or either side is missing) or {@code
   * type: difference} (left - right; null when either side is missing).
   */
  record PairFeature(String name, String type, String left, String right) implements FeatureDef {
    @Override
    public List<String> inputs() {
      return List.of(left, right);
    }

    @Override
    public Map<String, Object> canonical() {
      Map<String, Object> m = base(name, type, null);
      m.put("left", left);
      m.put("right", right);
      return m;
    }

    @Override
    public void checkTypes(StructType schema, List<String> problems) {
      requireNumeric(schema, left, problems);
      requireNumeric(schema, right, problems);
    }

    @Override
    public List<Output> outputs(Map<String, Object> state) {
      Column l = asDouble(left);
      Column r = asDouble(right);
      Column v =
          type.equals("ratio")
              ? when(r.equalTo(lit(0.0)), lit(null)).otherwise(l.divide(r))
              : l.minus(r);
      return List.of(new Output(name, type, v));
    }
  }

  /**
   * A calendar part of a date or timestamp (or a string Spark can cast to one), in the session time
   * zone: year, month (1-12), day (1-31), day_of_week (1 = Sunday .. 7 = Saturday), day_of_year,
   * hour, minute.
   */
  record DatePartFeature(String name, String column, String part) implements FeatureDef {
    static final List<String> PARTS =
        List.of("year", "month", "day", "day_of_week", "day_of_year", "hour", "minute");

    public DatePartFeature {
      if (!PARTS.contains(part)) {
        throw invalid(name, "date part '" + part + "' is unknown", "use one of " + PARTS);
      }
    }

    @Override
    public List<String> inputs() {
      return List.of(column);
    }

    @Override
    public Map<String, Object> canonical() {
      Map<String, Object> m = base(name, "date_part", column);
      m.put("part", part);
      return m;
    }

    @Override
    public void checkTypes(StructType schema, List<String> problems) {
      requireTime(schema, column, problems);
    }

    @Override
    public List<Output> outputs(Map<String, Object> state) {
      Column ts = col(column).cast("timestamp");
      Column v =
          switch (part) {
            case "year" -> year(ts);
            case "month" -> month(ts);
            case "day" -> dayofmonth(ts);
            case "day_of_week" -> dayofweek(ts);
            case "day_of_year" -> dayofyear(ts);
            case "hour" -> hour(ts);
            default -> minute(ts);
          };
      return List.of(new Output(name, "date_part", v.cast("double")));
    }
  }

  /** Adds a problem unless the column is a date, a timestamp or a string. */
  static void requireTime(StructType schema, String c, List<String> problems) {
    DataType t = schema.apply(c).dataType();
    if (!t.equals(DataTypes.DateType)
        && !t.equals(DataTypes.TimestampType)
        && !t.equals(DataTypes.TimestampNTZType)
        && !(t instanceof StringType)) {
      problems.add(
          "column '" + c + "' must be of type date or timestamp but was " + t.simpleString());
    }
  }

  /**
   * A point-in-time aggregate over the rows of the same key ({@code by}, default the spec's key)
   * whose event time lies in [t - days, t): rows at exactly the same time (ties) and later rows
   * never count; a row exactly {@code days} days earlier does. {@code fn}: count (rows; 0 when
   * none), sum (of {@code column}; 0 when none), mean (of {@code column}; null when none). A row
   * without event time or key gets null.
   */
  record WindowFeature(String name, String column, String fn, int days, String by)
      implements FeatureDef {
    public WindowFeature {
      if (!List.of("count", "sum", "mean").contains(fn)) {
        throw invalid(name, "fn '" + fn + "' is unknown", "use count, sum or mean");
      }
      if (days < 1) {
        throw invalid(name, "days must be at least 1 but was " + days, "set days: N");
      }
      if (!fn.equals("count") && column.isEmpty()) {
        throw invalid(name, "fn " + fn + " needs a column", "add column: <numeric column>");
      }
    }

    /** The key it aggregates by: {@code by}, or the spec's key when empty. */
    String key(String specKey) {
      return by.isEmpty() ? specKey : by;
    }

    /** The temporary column the window value is computed into before the final select. */
    String tempColumn() {
      return "__window__" + name;
    }

    @Override
    public List<String> inputs() {
      List<String> in = new ArrayList<>();
      if (!column.isEmpty()) {
        in.add(column);
      }
      if (!by.isEmpty()) {
        in.add(by);
      }
      return in;
    }

    @Override
    public Map<String, Object> canonical() {
      Map<String, Object> m = base(name, "window", column.isEmpty() ? null : column);
      m.put("fn", fn);
      m.put("days", days);
      m.put("by", by);
      return m;
    }

    @Override
    public void checkTypes(StructType schema, List<String> problems) {
      if (!column.isEmpty()) {
        requireNumeric(schema, column, problems);
      }
    }

    /**
     * The window value over microseconds since the epoch: the frame [t - days, t - 1 µs] is exactly
     * "at most {@code days} days earlier and strictly earlier", since timestamps have microsecond
     * precision.
     *
     * @param counted when not null, only the rows where it is true enter the aggregate (every row
     *     still gets its value): the same values the counted rows would get on their own
     */
    Column windowValue(String specKey, String eventTime, Column counted) {
      Column micros = expr("unix_micros(cast(`" + eventTime + "` as timestamp))");
      WindowSpec w =
          Window.partitionBy(col(key(specKey)))
              .orderBy(micros)
              .rangeBetween(-(long) days * 86_400_000_000L, -1L);
      Column one = counted == null ? lit(1) : when(counted, lit(1));
      Column value = counted == null || column.isEmpty() ? null : when(counted, asDouble(column));
      Column v =
          switch (fn) {
            case "count" -> count(one).over(w).cast("double");
            case "sum" ->
                coalesce(
                    org.apache
                        .spark
                        .sql
                        .functions
                        .sum(value == null ? asDouble(column) : value)
                        .over(w),
                    lit(0.0));
            default ->
                org.apache
                    .spark
                    .sql
                    .functions
                    .avg(value == null ? asDouble(column) : value)
                    .over(w);
          };
      return when(micros.isNull().or(col(key(specKey)).isNull()), lit(null)).otherwise(v);
    }

    /**
     * {@code data} with this window's value in {@link #tempColumn()}, the same values as {@link
     * #windowValue}. When {@code data} has at most {@code maxGroups} distinct (key, event time)
     * pairs, as a window keyed by a category over dates has, the window runs over one row per pair
     * (the rows counted, the values' sum and count of each) and its values are joined back to the
     * rows through a broadcast: one pass over the rows, no shuffle or sort of them. Sums may differ
     * from the row window's in the last bits (the same terms, added in another order). With more
     * pairs (a window keyed by a customer), the row window: a shuffle and sort of every row.
     */
    Dataset<Row> withValue(
        Dataset<Row> data, String specKey, String eventTime, Column counted, int maxGroups) {
      Column micros = expr("unix_micros(cast(`" + eventTime + "` as timestamp))");
      Column key = col(key(specKey));
      String groupKey = "__window_key__" + name;
      String groupTime = "__window_time__" + name;
      Column one = counted == null ? lit(1) : when(counted, lit(1));
      Column value =
          column.isEmpty()
              ? lit(null).cast("double")
              : counted == null ? asDouble(column) : when(counted, asDouble(column));
      Dataset<Row> groups =
          data.where(key.isNotNull().and(micros.isNotNull()))
              .groupBy(key.as(groupKey), micros.as(groupTime))
              .agg(count(one).as("c"), sum(value).as("s"), count(value).as("n"));
      WindowSpec w =
          Window.partitionBy(col(groupKey))
              .orderBy(col(groupTime))
              .rangeBetween(-(long) days * 86_400_000_000L, -1L);
      Column v =
          switch (fn) {
            case "count" -> coalesce(sum(col("c")).over(w), lit(0L)).cast("double");
            case "sum" -> coalesce(sum(col("s")).over(w), lit(0.0));
            default ->
                when(
                    sum(col("n")).over(w).gt(0),
                    sum(col("s")).over(w).divide(sum(col("n")).over(w)));
          };
      Dataset<Row> values =
          groups.select(col(groupKey), col(groupTime), v.cast("double").as(tempColumn()));
      List<Row> collected = values.limit(maxGroups + 1).collectAsList();
      if (collected.size() > maxGroups) {
        Log.info(
            String.format(
                "features: window %s: more than %,d (%s, time) pairs, a window over every row",
                name, maxGroups, key(specKey)));
        return data.withColumn(tempColumn(), windowValue(specKey, eventTime, counted));
      }
      Log.info(
          String.format(
              "features: window %s: %,d (%s, time) pairs, windowed and joined back by broadcast",
              name, collected.size(), key(specKey)));
      Dataset<Row> table = data.sparkSession().createDataFrame(collected, values.schema());
      return data.join(
              broadcast(table),
              key.equalTo(col(groupKey)).and(micros.equalTo(col(groupTime))),
              "left")
          .drop(groupKey, groupTime);
    }

    @Override
    public List<Output> outputs(Map<String, Object> state) {
      return List.of(new Output(name, "window_" + fn, col(tempColumn())));
    }
  }
}

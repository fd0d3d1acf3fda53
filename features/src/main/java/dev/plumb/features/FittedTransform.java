package dev.plumb.features;

import static org.apache.spark.sql.functions.col;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plumb.features.io.SparkSql;
import dev.plumb.features.io.YamlDocs;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;

/**
 * A feature-set spec with the state fitted on its training split (quantile edges, category levels,
 * imputation values): everything needed to turn raw rows into feature rows. Stored as JSON beside
 * the feature table and shipped with the model, so {@code plumb features apply} and serving compute
 * exactly what training did.
 *
 * @param spec the feature-set spec
 * @param state per feature name, its fitted state (plain JSON values; empty when not fitted)
 * @param inputRanges per numeric raw input column, its [min, max] on the training split (NaN and
 *     null left out; absent when the split has no value, or for a transform fitted before Plumb
 *     recorded ranges): what {@code plumb score} counts values outside of
 */
public record FittedTransform(
    FeatureSetSpec spec,
    Map<String, Map<String, Object>> state,
    Map<String, List<Double>> inputRanges) {

  /** A transform without recorded input ranges. */
  public FittedTransform(FeatureSetSpec spec, Map<String, Map<String, Object>> state) {
    this(spec, state, Map.of());
  }

  public FittedTransform {
    inputRanges = Collections.unmodifiableMap(new LinkedHashMap<>(inputRanges));
    Map<String, Map<String, Object>> copy = new LinkedHashMap<>();
    for (FeatureDef f : spec.features()) {
      copy.put(
          f.name(),
          Collections.unmodifiableMap(new LinkedHashMap<>(state.getOrDefault(f.name(), Map.of()))));
    }
    state = Collections.unmodifiableMap(copy);
    List<String> names = outputs(spec, state).stream().map(FeatureDef.Output::name).toList();
    List<String> reserved = List.of(spec.labelColumn(), spec.keyColumn(), Splits.COLUMN);
    for (String n : names) {
      if (Collections.frequency(names, n) > 1 || reserved.contains(n)) {
        throw FeatureErrors.invalidSpec(
            "define feature set '" + spec.name() + "'",
            "output column '" + n + "' is produced twice or clashes with the label, key or split",
            "rename the feature (one-hot columns are <name>_<level>)");
      }
    }
  }

  private List<FeatureDef.Output> outputs() {
    return outputs(spec, state);
  }

  private static List<FeatureDef.Output> outputs(
      FeatureSetSpec spec, Map<String, Map<String, Object>> state) {
    List<FeatureDef.Output> out = new ArrayList<>();
    for (FeatureDef f : spec.features()) {
      out.addAll(f.outputs(state.getOrDefault(f.name(), Map.of())));
    }
    return out;
  }

  /** Feature (output column) names in vector order. */
  public List<String> featureNames() {
    return outputs().stream().map(FeatureDef.Output::name).toList();
  }

  /** Each feature's type, as written in the manifest. */
  public Map<String, String> featureTypes() {
    Map<String, String> types = new LinkedHashMap<>();
    outputs().forEach(o -> types.put(o.name(), o.type()));
    return types;
  }

  /**
   * Checks that {@code schema} has every input column with a usable type, before any Spark job
   * runs; the label is needed only when {@code labelRequired}.
   */
  public static void checkSchema(FeatureSetSpec spec, StructType schema, boolean labelRequired) {
    String what = "build feature set '" + spec.name() + "'";
    List<String> available = Arrays.asList(schema.fieldNames());
    List<String> missing = new ArrayList<>();
    for (String c : spec.inputColumns()) {
      if (!available.contains(c) && (labelRequired || !c.equals(spec.labelColumn()))) {
        missing.add(c);
      }
    }
    if (!missing.isEmpty()) {
      throw FeatureErrors.missingColumns(
          what, missing, new java.util.TreeSet<>(available), "input");
    }
    List<String> problems = new ArrayList<>();
    for (FeatureDef f : spec.features()) {
      f.checkTypes(schema, problems);
    }
    if (!spec.eventTime().isEmpty()) {
      FeatureDef.requireTime(schema, spec.eventTime(), problems);
    }
    if (available.contains(spec.labelColumn())) {
      var label = schema.apply(spec.labelColumn()).dataType();
      if (!(label instanceof org.apache.spark.sql.types.NumericType)) {
        problems.add(
            "label column '"
                + spec.labelColumn()
                + "' must be numeric but was "
                + label.simpleString());
      }
    }
    if (!problems.isEmpty()) {
      throw FeatureErrors.wrongTypes(what, problems.stream().distinct().toList(), "input");
    }
  }

  /**
   * The feature rows of {@code data}: the key, the label as a double (when present), the split
   * (when present), then one double column per feature. Window aggregates see only the rows of
   * {@code data}.
   */
  public Dataset<Row> apply(Dataset<Row> data) {
    return apply(data, null, List.of());
  }

  /**
   * As {@link #apply(Dataset)}, over rows some of which are not to be counted: only the rows where
   * {@code windowRows} is true enter the window aggregates (each window value is the one those rows
   * would get on their own; the other rows get values too, not to be used), and the columns {@code
   * carry} of {@code data} are kept after the features. With {@code windowRows} null every row
   * counts.
   */
  public Dataset<Row> apply(Dataset<Row> data, Column windowRows, List<String> carry) {
    return apply(data, windowRows, carry, WINDOW_GROUPS);
  }

  /**
   * The most distinct (key, event time) pairs of a window feature computed over one row per pair
   * and joined back by a broadcast; with more, a window over every row.
   */
  static final int WINDOW_GROUPS = 200_000;

  /** {@link #apply(Dataset, Column, List)} with another bound on the pairs of a grouped window. */
  Dataset<Row> apply(Dataset<Row> data, Column windowRows, List<String> carry, int windowGroups) {
    checkSchema(spec, data.schema(), false);
    List<String> available = Arrays.asList(data.schema().fieldNames());
    Dataset<Row> withWindows = data;
    for (FeatureDef f : spec.features()) {
      if (f instanceof FeatureDef.WindowFeature w) {
        withWindows =
            w.withValue(withWindows, spec.keyColumn(), spec.eventTime(), windowRows, windowGroups);
      }
    }
    List<Column> columns = new ArrayList<>();
    columns.add(col(spec.keyColumn()));
    if (available.contains(spec.labelColumn())) {
      columns.add(col(spec.labelColumn()).cast("double").as(spec.labelColumn()));
    }
    if (available.contains(Splits.COLUMN)) {
      columns.add(col(Splits.COLUMN));
    }
    for (FeatureDef.Output o : outputs()) {
      columns.add(o.value().cast("double").as(o.name()));
    }
    carry.forEach(c -> columns.add(SparkSql.column(c)));
    return withWindows.select(columns.toArray(new Column[0]));
  }

  /** JSON form, stable across runs (levels sorted, features in spec order). */
  public String toJson() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("spec", spec.toMap());
    m.put("fitted_state", state);
    m.put("feature_names", featureNames());
    m.put("input_ranges", inputRanges);
    m.put("fitted_on", "the train split only");
    return YamlDocs.toJson(m);
  }

  /** Reads the JSON written by {@link #toJson()}. */
  @SuppressWarnings("unchecked")
  public static FittedTransform fromJson(String json) {
    try {
      Map<String, Object> m = new ObjectMapper().readValue(json, new TypeReference<>() {});
      FeatureSetSpec spec =
          FeatureSetSpec.parse(YamlDocs.toJson(m.get("spec")), "the fitted transform's spec");
      Map<String, List<Double>> ranges = new LinkedHashMap<>();
      if (m.get("input_ranges") instanceof Map<?, ?> r) {
        r.forEach(
            (k, v) ->
                ranges.put(
                    String.valueOf(k),
                    ((List<?>) v).stream().map(x -> ((Number) x).doubleValue()).toList()));
      }
      return new FittedTransform(
          spec, (Map<String, Map<String, Object>>) m.get("fitted_state"), ranges);
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException(
          "Cannot read the fitted transform: "
              + e.getMessage()
              + " (rebuild the feature set with"
              + " --force)",
          e);
    }
  }
}

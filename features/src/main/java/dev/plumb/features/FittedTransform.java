package dev.plumb.features;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.map_from_arrays;
import static org.apache.spark.sql.functions.try_element_at;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * The transform fitted on the training split: numeric columns pass as doubles; each categorical
 * column maps its training levels (sorted) to 0..n-1 and anything else (unseen, null) to n. Stored
 * as JSON beside the feature table and shipped with the model, so serving applies exactly what
 * training did.
 *
 * @param numeric the numeric feature columns
 * @param levels for each categorical column, its training-split levels in index order
 */
public record FittedTransform(List<String> numeric, Map<String, List<String>> levels) {

  public FittedTransform {
    numeric = List.copyOf(numeric);
    levels = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(levels));
  }

  /** Feature names in vector order. */
  public List<String> featureNames() {
    List<String> names = new ArrayList<>(numeric);
    names.addAll(levels.keySet());
    return names;
  }

  /**
   * Replaces each feature column of {@code data} by its transformed value (double). Other columns
   * pass through unchanged.
   */
  public Dataset<Row> apply(Dataset<Row> data) {
    Dataset<Row> out = data;
    for (String c : numeric) {
      out = out.withColumn(c, col(c).cast("double"));
    }
    for (Map.Entry<String, List<String>> e : levels.entrySet()) {
      List<String> values = e.getValue();
      Column[] keys = values.stream().map(functionsLit()).toArray(Column[]::new);
      Column[] indexes = new Column[values.size()];
      for (int i = 0; i < indexes.length; i++) {
        indexes[i] = lit((double) i);
      }
      Column lookup =
          values.isEmpty()
              ? lit(0.0)
              : coalesce(
                  try_element_at(
                      map_from_arrays(array(keys), array(indexes)), col(e.getKey()).cast("string")),
                  lit((double) values.size()));
      out = out.withColumn(e.getKey(), lookup);
    }
    return out;
  }

  private static java.util.function.Function<String, Column> functionsLit() {
    return v -> lit(v);
  }

  /** JSON form, stable across runs (levels sorted, columns in spec order). */
  public String toJson() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("numeric", numeric);
    m.put("categorical_levels", levels);
    m.put("unseen_bucket", "index n = number of levels (also for null)");
    return YamlDocs.toJson(m);
  }

  /** Reads the JSON written by {@link #toJson()}. */
  public static FittedTransform fromJson(String json) {
    try {
      Map<String, Object> m = new ObjectMapper().readValue(json, new TypeReference<>() {});
      @SuppressWarnings("unchecked")
      List<String> numeric = (List<String>) m.get("numeric");
      @SuppressWarnings("unchecked")
      Map<String, List<String>> levels = (Map<String, List<String>>) m.get("categorical_levels");
      return new FittedTransform(numeric, levels);
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException(
          "Cannot read the fitted transform: " + e.getMessage() + " (rebuild the feature set)", e);
    }
  }
}

package dev.plumb.training;

import dev.plumb.features.DistinctCounts;
import dev.plumb.features.io.SparkSql;
import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import ml.dmlc.xgboost4j.java.XGBoostError;
import ml.dmlc.xgboost4j.scala.Booster;
import ml.dmlc.xgboost4j.scala.XGBoost;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructType;

/**
 * Model files: the native booster as UBJ (default) or JSON bytes, never Java serialization. The
 * booster file carries the feature names and the best iteration, so it stands on its own (XGBoost's
 * Python, R and C APIs read it too). Works on the Spark 3.5 and 4.0 lines alike, unlike XGBoost's
 * Spark-ML {@code write().save()}.
 */
public final class ModelFiles {

  /** The column {@link #score} adds: the probability of the positive class. */
  public static final String SCORE = "score";

  private ModelFiles() {}

  /** The booster attribute holding the best iteration (XGBoost's own name for it). */
  public static final String BEST_ITERATION = "best_iteration";

  /** The booster's UBJ bytes. */
  public static byte[] toUbj(Booster booster) {
    return toBytes(booster, ModelFormat.UBJ);
  }

  /** The booster's bytes in {@code format}. */
  public static byte[] toBytes(Booster booster, ModelFormat format) {
    try {
      return booster.toByteArray(format.xgboostName());
    } catch (XGBoostError e) {
      throw new IllegalStateException("Cannot serialise the booster: " + e.getMessage(), e);
    }
  }

  /** Re-encodes a booster file (UBJ or JSON) in {@code format}; the model is unchanged. */
  public static byte[] convert(byte[] bytes, ModelFormat format) {
    Booster booster = load(bytes);
    try {
      return toBytes(booster, format);
    } finally {
      booster.dispose();
    }
  }

  /** The feature names stored in a booster file, in model order (empty if it has none). */
  public static List<String> featureNames(byte[] bytes) {
    Booster booster = load(bytes);
    try {
      String[] names = booster.booster().getFeatureNames();
      return names == null ? List.of() : List.of(names);
    } catch (XGBoostError e) {
      throw new IllegalStateException("Cannot read the booster's feature names: " + e.getMessage());
    } finally {
      booster.dispose();
    }
  }

  /** A string attribute stored in a booster file, or null. */
  public static String attribute(byte[] bytes, String key) {
    Booster booster = load(bytes);
    try {
      return booster.getAttr(key);
    } catch (XGBoostError e) {
      throw new IllegalStateException(
          "Cannot read booster attribute " + key + ": " + e.getMessage());
    } finally {
      booster.dispose();
    }
  }

  /**
   * Loads the booster in the model file at {@code location} (UBJ or JSON bytes) on the driver, so a
   * damaged or foreign file fails once, naming the file, before any Spark task loads it.
   */
  public static Booster load(byte[] bytes, String location) {
    try {
      return XGBoost.loadModel(new ByteArrayInputStream(bytes));
    } catch (XGBoostError | RuntimeException e) {
      String detail = String.valueOf(e.getMessage()).strip();
      int newline = detail.indexOf('\n');
      detail = newline < 0 ? detail : detail.substring(0, newline);
      throw new IllegalArgumentException(
          "Cannot load the model file "
              + location
              + " ("
              + bytes.length
              + " bytes): it is not an intact XGBoost UBJ/JSON model ("
              + detail
              + "); retrain with './plumb train', or point evaluate.model at an intact model"
              + " folder",
          e);
    }
  }

  /** Loads a booster from UBJ or JSON bytes. */
  public static Booster load(byte[] bytes) {
    try {
      return XGBoost.loadModel(new ByteArrayInputStream(bytes));
    } catch (XGBoostError e) {
      throw new IllegalArgumentException(
          "Cannot load the model file: " + e.getMessage() + " (is it an XGBoost UBJ/JSON file?)",
          e);
    }
  }

  /**
   * Adds {@link #SCORE} to {@code data}: the positive-class probability of a binary model, the
   * prediction of a regression model, the most likely class of a multiclass model; using the first
   * {@code iterationEnd} boosting rounds (0: all of them).
   */
  public static Dataset<Row> score(
      byte[] booster, List<String> featureNames, Dataset<Row> data, int iterationEnd) {
    StructType schema = data.schema();
    int[] indexes = featureIndexes(featureNames, schema);
    StructType out = schema.add(SCORE, DataTypes.DoubleType, false);
    return data.mapPartitions(new BoosterScorer(booster, indexes, iterationEnd), Encoders.row(out));
  }

  /**
   * Per distinct score of {@link #score}'s rows, highest first ({@code Double.compare} order, -0.0
   * as 0.0): the rows with a non-null label and the positives (label equal to 1) among them.
   */
  public record ScoreCounts(double[] scores, long[] rows, long[] positives) {}

  /**
   * Scores {@code data} as {@link #score} does and counts, per distinct score, the labelled rows
   * and the positives: what {@code groupBy(score)} over the scored rows gives, counted where the
   * rows are scored (no scored row leaves its task, no shuffle); the driver merges one sorted list
   * per partition.
   */
  public static ScoreCounts scoreCounts(
      byte[] booster,
      List<String> featureNames,
      Dataset<Row> data,
      int iterationEnd,
      String label) {
    StructType schema = data.schema();
    featureIndexes(featureNames, schema);
    if (!Arrays.asList(schema.fieldNames()).contains(label)
        || !(schema.apply(label).dataType() instanceof NumericType)) {
      throw new IllegalArgumentException(
          "Cannot count scores by label: '"
              + label
              + "' is not a numeric column of "
              + schema.simpleString());
    }
    List<String> used = new ArrayList<>(featureNames);
    used.add(label);
    Dataset<Row> needed = only(data, used);
    DistinctCounts all =
        needed
            .toJavaRDD()
            .mapPartitions(
                new ScoreCounter(
                    booster,
                    featureIndexes(featureNames, needed.schema()),
                    iterationEnd,
                    needed.schema().fieldIndex(label)))
            .collect()
            .stream()
            .reduce(DistinctCounts.EMPTY, DistinctCounts::mergedDescending);
    return new ScoreCounts(all.values(), all.first(), all.second());
  }

  /**
   * What {@link #scoreIntoBins} counted: the rows scored; per binned feature and for the score, the
   * scored rows in each bin ({@code [null, x <= e0, e0 < x <= e1, ..., x > e(k-1)]}); the rows
   * scored at least the threshold; all input rows; per flag column, the input rows where it is
   * true.
   */
  public record BinCounts(
      long rows,
      Map<String, long[]> features,
      long[] score,
      long atLeastThreshold,
      long inputRows,
      Map<String, Long> flags) {}

  /**
   * Scores {@code data} as {@link #score} does and, in the same pass, counts the rows in each bin
   * of every feature in {@code featureEdges} and of the score, and the rows scored at least {@code
   * threshold}, instead of returning the scored rows: a drift profile without a row of output per
   * input row. The counts equal those of a Spark aggregation over {@link #score}'s rows (Spark's
   * ordering of doubles: NaN above every value). Only the rows where the boolean column {@code
   * scoredFlag} is true are scored (every row when it is null); each boolean column in {@code
   * flags} is counted over all rows.
   *
   * @param featureEdges per feature to bin (each one of {@code featureNames}), its ascending edges
   */
  public static BinCounts scoreIntoBins(
      byte[] booster,
      List<String> featureNames,
      Dataset<Row> data,
      int iterationEnd,
      Map<String, double[]> featureEdges,
      double[] scoreEdges,
      double threshold,
      String scoredFlag,
      List<String> flags) {
    // Checked on the rows as given, then only the columns used are read and carried.
    featureIndexes(featureNames, data.schema());
    List<String> used = new ArrayList<>(featureNames);
    for (String flag : flags) {
      booleanIndex(data.schema(), flag);
      used.add(flag);
    }
    if (scoredFlag != null) {
      booleanIndex(data.schema(), scoredFlag);
      used.add(scoredFlag);
    }
    data = only(data, used);
    StructType schema = data.schema();
    List<String> binned = new ArrayList<>(featureEdges.keySet());
    for (String f : binned) {
      if (!featureNames.contains(f)) {
        throw new IllegalArgumentException(
            "Cannot bin feature '" + f + "': it is not one of the model's " + featureNames);
      }
    }
    // The booster takes the model's features in order; bins index the same columns.
    int[] indexes = featureIndexes(featureNames, schema);
    double[][] edges = new double[featureNames.size()][];
    for (int i = 0; i < edges.length; i++) {
      double[] e = featureEdges.get(featureNames.get(i));
      edges[i] = e == null ? new double[0] : e;
    }
    int[] flagIndexes = new int[flags.size()];
    for (int i = 0; i < flagIndexes.length; i++) {
      flagIndexes[i] = booleanIndex(schema, flags.get(i));
    }
    int scoredIndex = scoredFlag == null ? -1 : booleanIndex(schema, scoredFlag);
    StructType out =
        new StructType().add("counts", DataTypes.createArrayType(DataTypes.LongType, false), false);
    List<Row> parts =
        data.mapPartitions(
                new BinningScorer(
                    booster,
                    indexes,
                    iterationEnd,
                    edges,
                    scoreEdges,
                    threshold,
                    scoredIndex,
                    flagIndexes),
                Encoders.row(out))
            .collectAsList();
    int[] at = BinningScorer.offsets(edges, scoreEdges);
    int positivesAt = at[edges.length + 1];
    int flagsAt = positivesAt + 2;
    long[] total = new long[flagsAt + flags.size() + 1];
    for (Row part : parts) {
      List<Long> c = part.getList(0);
      for (int i = 0; i < total.length; i++) {
        total[i] += c.get(i);
      }
    }
    Map<String, long[]> features = new LinkedHashMap<>();
    for (String f : binned) {
      int i = featureNames.indexOf(f);
      features.put(f, Arrays.copyOfRange(total, at[i], at[i + 1]));
    }
    Map<String, Long> flagCounts = new LinkedHashMap<>();
    for (int i = 0; i < flags.size(); i++) {
      flagCounts.put(flags.get(i), total[flagsAt + i]);
    }
    return new BinCounts(
        total[positivesAt + 1],
        features,
        Arrays.copyOfRange(total, at[edges.length], positivesAt),
        total[positivesAt],
        total[total.length - 1],
        flagCounts);
  }

  /**
   * {@code data} with only {@code columns}, each once in the order first named: a scan reads no
   * other column and no other value is copied on the way to the scorer.
   */
  private static Dataset<Row> only(Dataset<Row> data, List<String> columns) {
    return data.select(
        new java.util.LinkedHashSet<>(columns)
            .stream().map(SparkSql::column).toArray(org.apache.spark.sql.Column[]::new));
  }

  private static int booleanIndex(StructType schema, String column) {
    if (!Arrays.asList(schema.fieldNames()).contains(column)
        || !schema.apply(column).dataType().equals(DataTypes.BooleanType)) {
      throw new IllegalArgumentException(
          "Cannot count flag '" + column + "': not a boolean column of " + schema.simpleString());
    }
    return schema.fieldIndex(column);
  }

  /** The column index of each feature, checked: present and numeric. */
  private static int[] featureIndexes(List<String> featureNames, StructType schema) {
    int[] indexes = new int[featureNames.size()];
    for (int i = 0; i < indexes.length; i++) {
      String f = featureNames.get(i);
      if (!Arrays.asList(schema.fieldNames()).contains(f)) {
        throw new IllegalArgumentException(
            "Cannot score: feature column '"
                + f
                + "' is missing (columns: "
                + Arrays.toString(schema.fieldNames())
                + "); apply the model's feature transform"
                + " first");
      }
      DataType t = schema.apply(f).dataType();
      if (!(t instanceof NumericType)) {
        throw new IllegalArgumentException(
            "Cannot score: feature column '" + f + "' must be numeric but was " + t.simpleString());
      }
      indexes[i] = schema.fieldIndex(f);
    }
    return indexes;
  }

  /** The margin (log-odds of a binary model) column of {@link #scoreWithContributions}. */
  public static final String MARGIN = "margin";

  /** The bias (expected margin) column of {@link #scoreWithContributions}. */
  public static final String BIAS = "bias";

  /** The top-k (feature, contribution) pairs column of {@link #scoreWithContributions}. */
  public static final String CONTRIBUTIONS = "contributions";

  /**
   * {@link #score} plus each row's SHAP contributions ({@code pred_contribs}, margin scale): {@link
   * #MARGIN}, {@link #BIAS} and the {@code topK} largest absolute contributions in {@link
   * #CONTRIBUTIONS} as (feature, contribution) pairs. All contributions plus the bias sum to the
   * margin.
   */
  public static Dataset<Row> scoreWithContributions(
      byte[] booster, List<String> featureNames, Dataset<Row> data, int iterationEnd, int topK) {
    Dataset<Row> checked = score(booster, featureNames, data.limit(0), iterationEnd);
    StructType schema = data.schema();
    int[] indexes = new int[featureNames.size()];
    for (int i = 0; i < indexes.length; i++) {
      indexes[i] = schema.fieldIndex(featureNames.get(i));
    }
    StructType pair =
        new StructType()
            .add("feature", DataTypes.StringType, false)
            .add("contribution", DataTypes.DoubleType, false);
    StructType out =
        checked
            .schema()
            .add(MARGIN, DataTypes.DoubleType, false)
            .add(BIAS, DataTypes.DoubleType, false)
            .add(CONTRIBUTIONS, DataTypes.createArrayType(pair, false), false);
    return data.mapPartitions(
        new ContributionScorer(
            booster, indexes, featureNames.toArray(new String[0]), iterationEnd, topK),
        Encoders.row(out));
  }
}

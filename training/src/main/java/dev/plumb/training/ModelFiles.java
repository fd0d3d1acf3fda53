package dev.plumb.training;

import java.io.ByteArrayInputStream;
import java.util.Arrays;
import java.util.List;
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
 * Model files: the native booster as UBJ bytes (never Java serialization), loaded back into a Spark
 * model for scoring. Works on the Spark 3.5 and 4.0 lines alike.
 */
public final class ModelFiles {

  /** The column {@link #score} adds: the probability of the positive class. */
  public static final String SCORE = "score";

  private ModelFiles() {}

  /** The booster's UBJ bytes. */
  public static byte[] toUbj(Booster booster) {
    try {
      return booster.toByteArray("ubj");
    } catch (XGBoostError e) {
      throw new IllegalStateException("Cannot serialise the booster: " + e.getMessage(), e);
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
   * Adds the positive-class probability {@link #SCORE} to {@code data}, using the first {@code
   * iterationEnd} boosting rounds (0: all of them).
   */
  public static Dataset<Row> score(
      byte[] booster, List<String> featureNames, Dataset<Row> data, int iterationEnd) {
    StructType schema = data.schema();
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
    StructType out = schema.add(SCORE, DataTypes.DoubleType, false);
    return data.mapPartitions(new BoosterScorer(booster, indexes, iterationEnd), Encoders.row(out));
  }
}

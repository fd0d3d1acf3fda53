package dev.plumb.features.ingest;

import dev.plumb.features.FeatureErrors;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;

/** The column types a data contract can declare, and the Spark type each one reads as. */
public enum ColumnType {
  STRING(DataTypes.StringType),
  INT(DataTypes.IntegerType),
  LONG(DataTypes.LongType),
  DOUBLE(DataTypes.DoubleType),
  FLOAT(DataTypes.FloatType),
  BOOLEAN(DataTypes.BooleanType),
  DATE(DataTypes.DateType),
  TIMESTAMP(DataTypes.TimestampType);

  private final DataType sparkType;

  ColumnType(DataType sparkType) {
    this.sparkType = sparkType;
  }

  /** The Spark SQL type of this column type. */
  public DataType sparkType() {
    return sparkType;
  }

  /** True for the numeric types, which may declare min and max. */
  public boolean isNumeric() {
    return this == INT || this == LONG || this == DOUBLE || this == FLOAT;
  }

  /** True for the floating types, where NaN and infinity are possible. */
  public boolean isFloating() {
    return this == DOUBLE || this == FLOAT;
  }

  /** Parses a declared type name such as {@code long}, case-insensitively. */
  public static ColumnType parse(String name, String column) {
    try {
      return valueOf(name.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException | NullPointerException e) {
      throw FeatureErrors.invalidSpec(
          "read the data contract",
          "column '" + column + "' has unknown type '" + name + "'",
          "use one of "
              + Arrays.stream(values())
                  .map(v -> v.name().toLowerCase(Locale.ROOT))
                  .collect(Collectors.joining(", ")));
    }
  }

  @Override
  public String toString() {
    return name().toLowerCase(Locale.ROOT);
  }
}

package dev.plumb.features;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.array_compact;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.not;
import static org.apache.spark.sql.functions.when;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Checks data against a {@link DataContract}. {@link #checkSchema} runs on the schema alone, before
 * any Spark job; {@link #annotate} adds, in one projection, the list of every reason a row breaks
 * the contract, so that all checks share one pass over the data.
 */
public final class ContractValidator {

  /** Column holding the reasons a row was rejected: {@code REASON:column} strings. */
  public static final String REASONS = "_plumb_reasons";

  /** Reason codes. */
  public static final String NULL_REQUIRED = "NULL_REQUIRED";

  public static final String OUT_OF_RANGE = "OUT_OF_RANGE";
  public static final String NOT_ALLOWED = "NOT_ALLOWED";
  public static final String NAN_OR_INF = "NAN_OR_INF";
  public static final String BAD_LABEL = "BAD_LABEL";

  private final DataContract contract;

  public ContractValidator(DataContract contract) {
    this.contract = contract;
  }

  /**
   * Fails, naming every missing column and every type mismatch, when {@code schema} cannot satisfy
   * the contract. Extra columns are allowed and pass through.
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
      if (!actual.equals(spec.type().sparkType())) {
        problems.add(
            "column '"
                + spec.name()
                + "' must be of type "
                + spec.type()
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
   * Returns {@code data} with string nulls normalised (values in the contract's null strings become
   * null) and a {@link #REASONS} column listing every rule each row breaks (empty when clean).
   */
  public Dataset<Row> annotate(Dataset<Row> data) {
    checkSchema(data.schema(), "the input");
    Dataset<Row> normalised = data;
    for (ColumnSpec spec : contract.columns()) {
      if (spec.type() == ColumnType.STRING && !contract.nullStrings().isEmpty()) {
        Column c = col(spec.name());
        normalised =
            normalised.withColumn(
                spec.name(),
                when(c.isin(contract.nullStrings().toArray()), lit(null).cast("string"))
                    .otherwise(c));
      }
    }
    List<Column> checks = new ArrayList<>();
    for (ColumnSpec spec : contract.columns()) {
      checks.addAll(checksFor(spec));
    }
    if (contract.labelColumn() != null && !contract.labelValues().isEmpty()) {
      Column label = col(contract.labelColumn()).cast("string");
      checks.add(
          when(
              label.isNull().or(not(label.isin(contract.labelValues().toArray()))),
              lit(BAD_LABEL + ":" + contract.labelColumn())));
    }
    return normalised.withColumn(REASONS, array_compact(array(checks.toArray(new Column[0]))));
  }

  private static List<Column> checksFor(ColumnSpec spec) {
    Column c = col(spec.name());
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
    return checks;
  }

  /** The declared columns, in contract order: what the clean table keeps. */
  public List<String> declaredColumns() {
    return contract.columns().stream().map(ColumnSpec::name).toList();
  }

  /** Field names of a schema, for messages. */
  static List<String> names(StructType schema) {
    return Arrays.stream(schema.fields()).map(StructField::name).toList();
  }
}

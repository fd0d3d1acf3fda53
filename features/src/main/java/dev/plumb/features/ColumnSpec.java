package dev.plumb.features;

import java.util.List;

/**
 * One declared column of a data contract.
 *
 * @param name the column name
 * @param type the declared type
 * @param nullable whether null is allowed
 * @param min inclusive lower bound for numeric columns, or null
 * @param max inclusive upper bound for numeric columns, or null
 * @param allowed the allowed values (as strings), empty for any
 */
public record ColumnSpec(
    String name, ColumnType type, boolean nullable, Double min, Double max, List<String> allowed) {

  public ColumnSpec {
    allowed = List.copyOf(allowed);
    if ((min != null || max != null) && !type.isNumeric()) {
      throw FeatureErrors.invalidSpec(
          "read the data contract",
          "column '" + name + "' of type " + type + " declares min/max",
          "min and max apply to int, long, float and double columns only");
    }
  }
}

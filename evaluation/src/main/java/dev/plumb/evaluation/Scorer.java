package dev.plumb.evaluation;

import java.io.Serializable;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Scores rows: returns {@code rows} with one more column, the positive-class probability, named as
 * the evaluation's score column. Behavioural tests call it again on modified rows, so it must not
 * depend on anything but the row's own values.
 */
@FunctionalInterface
public interface Scorer extends Serializable {

  /** {@code rows} plus the score column. */
  Dataset<Row> score(Dataset<Row> rows);
}

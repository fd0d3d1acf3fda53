package dev.plumb.evaluation;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import java.util.List;
import org.apache.spark.mllib.evaluation.BinaryClassificationMetrics;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import scala.Tuple2;

/**
 * Exact ROC-AUC and PR-AUC of any score column. When the score has at most {@value #MAX_DISTINCT}
 * distinct values (a raw feature, a small sample), one aggregation counts positives and negatives
 * per distinct value and the areas are computed from those counts; otherwise Spark MLlib's {@code
 * BinaryClassificationMetrics} with binning off sorts the distinct scores (slow: the benchmark in
 * BENCHMARKS.md measures it).
 */
final class ExactAreas {

  static final int MAX_DISTINCT = 200_000;

  private ExactAreas() {}

  /** Both areas. */
  record Areas(double rocAuc, double prAuc) {}

  static Areas compute(Dataset<Row> data, String label, Column score) {
    Column s = score.cast("double").as("s");
    Column positive = col(label).cast("double").equalTo(1.0);
    List<Row> distinct =
        data.select(s, positive.as("y"))
            .groupBy(col("s"))
            .agg(count(lit(1)), sum(when(col("y"), 1L).otherwise(0L)))
            .orderBy(col("s"))
            .limit(MAX_DISTINCT + 1)
            .collectAsList();
    if (distinct.size() <= MAX_DISTINCT) {
      double[] pos = new double[distinct.size()];
      double[] neg = new double[distinct.size()];
      for (int i = 0; i < pos.length; i++) {
        Row r = distinct.get(i);
        pos[i] = r.getLong(2);
        neg[i] = r.getLong(1) - r.getLong(2);
      }
      return new Areas(Curves.rocAuc(pos, neg), Curves.prAuc(pos, neg));
    }
    RDD<Tuple2<Object, Object>> pairs =
        data.select(score.cast("double"), col(label).cast("double"))
            .javaRDD()
            .map(r -> new Tuple2<Object, Object>(r.getDouble(0), r.getDouble(1)))
            .rdd();
    BinaryClassificationMetrics m = new BinaryClassificationMetrics(pairs, 0);
    try {
      return new Areas(m.areaUnderROC(), m.areaUnderPR());
    } finally {
      m.unpersist();
    }
  }
}

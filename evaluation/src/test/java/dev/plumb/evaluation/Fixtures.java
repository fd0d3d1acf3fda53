package dev.plumb.evaluation;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/** Small named prediction fixtures built in code. */
final class Fixtures {

  static final StructType SCHEMA =
      new StructType()
          .add("id", DataTypes.LongType)
          .add("label", DataTypes.DoubleType)
          .add("score", DataTypes.DoubleType)
          .add("group", DataTypes.StringType)
          .add("x", DataTypes.DoubleType);

  private Fixtures() {}

  /** One row of predictions. */
  record P(long id, double label, double score, String group, double x) {
    Row row() {
      return RowFactory.create(id, label, score, group, x);
    }
  }

  /** Random predictions: 20% positives, informative scores with ties, groups a/b/c. */
  static List<P> random(int n, long seed) {
    Random random = new Random(seed);
    List<P> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      double y = random.nextDouble() < 0.2 ? 1 : 0;
      double s = Math.round((0.3 * y + 0.7 * random.nextDouble()) * 1000) / 1000.0;
      String g = new String[] {"a", "b", "c"}[random.nextInt(3)];
      out.add(new P(i, y, s, g, Math.round(random.nextDouble() * 100)));
    }
    return out;
  }

  static Dataset<Row> frame(SparkSession spark, List<P> rows) {
    return spark.createDataFrame(rows.stream().map(P::row).toList(), SCHEMA);
  }

  static Evaluator.Input input(Dataset<Row> predictions) {
    return new Evaluator.Input(predictions, "label", "score", "id", List.of("x"), null, null, null);
  }

  /** Pairwise ROC-AUC with ties as half. */
  static double auc(List<P> rows) {
    double wins = 0;
    double pairs = 0;
    for (P a : rows) {
      if (a.label() != 1) {
        continue;
      }
      for (P b : rows) {
        if (b.label() == 0) {
          pairs++;
          wins += a.score() > b.score() ? 1 : a.score() == b.score() ? 0.5 : 0;
        }
      }
    }
    return wins / pairs;
  }

  /**
   * Average precision by its definition, one threshold per distinct score, descending: the sum of
   * (recall - previous recall) * precision, counting every row scored at or above the threshold.
   */
  static double averagePrecision(List<P> rows) {
    double[] thresholds = rows.stream().mapToDouble(P::score).distinct().sorted().toArray();
    double positives = rows.stream().filter(p -> p.label() == 1).count();
    double ap = 0;
    double previousRecall = 0;
    for (int t = thresholds.length - 1; t >= 0; t--) {
      double tp = 0;
      double predicted = 0;
      for (P p : rows) {
        if (p.score() >= thresholds[t]) {
          predicted++;
          tp += p.label();
        }
      }
      double recall = tp / positives;
      ap += (recall - previousRecall) * (tp / predicted);
      previousRecall = recall;
    }
    return ap;
  }

  static EvalSpec spec(EvalSpec.Mode mode, List<String> slices, List<Gate> gates) {
    EvalSpec d = EvalSpec.defaults();
    return new EvalSpec(
        mode,
        0.5,
        d.sample(),
        100,
        new EvalSpec.Costs(1, 4),
        new EvalSpec.Bootstrap(200, 0.9, 3),
        10,
        new EvalSpec.Slices(slices, 1, 2),
        null,
        d.drift(),
        d.behaviour(),
        gates);
  }
}

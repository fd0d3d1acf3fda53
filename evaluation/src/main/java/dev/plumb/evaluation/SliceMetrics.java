package dev.plumb.evaluation;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Metrics per value of each slice column, gathered in the shared score pass ({@link ScorePass}):
 * per (column, value) exact counts, confusion and log loss, and positives and negatives per score
 * bin of width 1/{@value #BINS}, so each slice's ROC-AUC comes from its score histogram (ties
 * within a bin count half).
 */
final class SliceMetrics {

  static final int BINS = 1_000;

  private SliceMetrics() {}

  /** One slice. */
  record Slice(
      String column,
      String value,
      long count,
      long positives,
      Confusion confusion,
      double logLoss,
      double rocAuc) {

    String name() {
      return column + "=" + value;
    }

    Map<String, Double> asMap() {
      Map<String, Double> m = new LinkedHashMap<>();
      m.put("count", (double) count);
      m.put("positives", (double) positives);
      m.put("roc_auc", rocAuc);
      m.put("log_loss", logLoss);
      m.putAll(confusion.asMap());
      return m;
    }
  }

  /** Formats a slice value: integral doubles (category indexes) without ".0". */
  static String value(Object v) {
    if (v == null) {
      return "null";
    }
    String s = String.valueOf(v);
    return s.endsWith(".0") ? s.substring(0, s.length() - 2) : s;
  }

  /**
   * The slices of {@code columns} from the totals the shared score pass gathered (the pass was run
   * with the same columns, in this order); values in string order within a column.
   */
  static List<Slice> fromPass(List<String> columns, ScorePass pass) {
    List<Slice> out = new ArrayList<>();
    for (int c = 0; c < columns.size() && c < pass.slices.size(); c++) {
      TreeMap<String, ScorePass.SliceTotals> byValue = new TreeMap<>();
      pass.slices.get(c).forEach((v, t) -> byValue.put(v.toString(), t));
      for (Map.Entry<String, ScorePass.SliceTotals> e : byValue.entrySet()) {
        ScorePass.SliceTotals t = e.getValue();
        double fn = t.positives - t.tp;
        double tn = t.n - t.positives - t.fp;
        out.add(
            new Slice(
                columns.get(c),
                value(e.getKey()),
                t.n,
                t.positives,
                new Confusion(t.tp, t.fp, tn, fn),
                t.loss / t.n,
                Curves.rocAuc(Curves.toDouble(t.pos), Curves.toDouble(t.neg))));
      }
    }
    return out;
  }

  /** The k slices with the lowest ROC-AUC among those with enough rows and both classes. */
  static List<Slice> weakest(List<Slice> slices, long minSupport, int k) {
    return slices.stream()
        .filter(s -> s.count() >= minSupport && !Double.isNaN(s.rocAuc()))
        .sorted(Comparator.comparingDouble(Slice::rocAuc).thenComparing(Slice::name))
        .limit(k)
        .toList();
  }
}

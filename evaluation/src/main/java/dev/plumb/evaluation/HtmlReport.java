package dev.plumb.evaluation;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Renders an {@link EvalReport} as one self-contained HTML page: inline CSS and inline SVG charts
 * (ROC, PR, reliability curve, threshold sweep, confusion matrix, slices), no scripts, no network.
 */
public final class HtmlReport {

  private static final String[] COLORS = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd"};
  private static final int W = 360;
  private static final int H = 300;
  private static final int PAD = 40;

  private HtmlReport() {}

  /** A named series of (x, y) points. */
  private record Series(String name, List<double[]> points, boolean dots) {}

  static String esc(String s) {
    return s.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\"", "&quot;");
  }

  private static String f(double v) {
    return Double.isFinite(v) ? String.format(Locale.ROOT, "%.4f", v) : "n/a";
  }

  private static String px(double v) {
    return String.format(Locale.ROOT, "%.1f", v);
  }

  /** A line chart over [0,1] x [0,1] with a legend; {@code diagonal} draws y = x. */
  static String chart(
      String title, String xLabel, String yLabel, List<Series> series, boolean diagonal) {
    StringBuilder sb = new StringBuilder();
    sb.append("<figure><figcaption>").append(esc(title)).append("</figcaption>");
    sb.append(
        String.format(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0"
                + " %d %d\" role=\"img\" aria-label=\"%s\">",
            W, H, W, H, esc(title)));
    double plotW = W - 2 * PAD;
    double plotH = H - 2 * PAD;
    sb.append(
        String.format(
            "<rect x=\"%d\" y=\"%d\" width=\"%s\" height=\"%s\" fill=\"#fff\" stroke=\"#999\"/>",
            PAD, PAD, px(plotW), px(plotH)));
    for (int i = 0; i <= 4; i++) {
      double t = i / 4.0;
      double x = PAD + t * plotW;
      double y = PAD + (1 - t) * plotH;
      sb.append(
          String.format(
              "<line x1=\"%s\" y1=\"%d\" x2=\"%s\" y2=\"%s\" stroke=\"#eee\"/>",
              px(x), PAD, px(x), px(PAD + plotH)));
      sb.append(
          String.format(
              "<line x1=\"%d\" y1=\"%s\" x2=\"%s\" y2=\"%s\" stroke=\"#eee\"/>",
              PAD, px(y), px(PAD + plotW), px(y)));
      sb.append(
          String.format(
              Locale.ROOT,
              "<text x=\"%s\" y=\"%s\" font-size=\"10\" text-anchor=\"middle\">%.2f</text>",
              px(x),
              px(PAD + plotH + 14),
              t));
      sb.append(
          String.format(
              Locale.ROOT,
              "<text x=\"%d\" y=\"%s\" font-size=\"10\" text-anchor=\"end\">%.2f</text>",
              PAD - 4,
              px(y + 3),
              t));
    }
    if (diagonal) {
      sb.append(
          String.format(
              "<line x1=\"%d\" y1=\"%s\" x2=\"%s\" y2=\"%d\" stroke=\"#bbb\""
                  + " stroke-dasharray=\"4 3\"/>",
              PAD, px(PAD + plotH), px(PAD + plotW), PAD));
    }
    for (int s = 0; s < series.size(); s++) {
      Series se = series.get(s);
      String color = COLORS[s % COLORS.length];
      StringBuilder pts = new StringBuilder();
      for (double[] p : se.points()) {
        if (!Double.isFinite(p[0]) || !Double.isFinite(p[1])) {
          continue;
        }
        double x = PAD + Math.max(0, Math.min(1, p[0])) * plotW;
        double y = PAD + (1 - Math.max(0, Math.min(1, p[1]))) * plotH;
        pts.append(px(x)).append(',').append(px(y)).append(' ');
        if (se.dots()) {
          sb.append(
              String.format(
                  "<circle cx=\"%s\" cy=\"%s\" r=\"3\" fill=\"%s\"/>", px(x), px(y), color));
        }
      }
      sb.append(
          String.format(
              "<polyline class=\"series\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\""
                  + " points=\"%s\"/>",
              color, pts.toString().trim()));
      sb.append(
          String.format(
              "<text x=\"%s\" y=\"%d\" font-size=\"11\" fill=\"%s\">%s</text>",
              px(PAD + 8 + s * 80), PAD - 8, color, esc(se.name())));
    }
    sb.append(
        String.format(
            "<text x=\"%s\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">%s</text>",
            px(PAD + plotW / 2), H - 6, esc(xLabel)));
    sb.append(
        String.format(
            "<text x=\"12\" y=\"%s\" font-size=\"11\" text-anchor=\"middle\""
                + " transform=\"rotate(-90 12 %s)\">%s</text>",
            px(PAD + plotH / 2), px(PAD + plotH / 2), esc(yLabel)));
    sb.append("</svg></figure>\n");
    return sb.toString();
  }

  static String confusion(Confusion c) {
    double max = Math.max(Math.max(c.tp(), c.fp()), Math.max(c.tn(), c.fn()));
    StringBuilder sb = new StringBuilder();
    sb.append("<figure><figcaption>Confusion matrix</figcaption>");
    sb.append(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"300\" height=\"220\" role=\"img\""
            + " aria-label=\"Confusion matrix\">");
    String[][] labels = {{"TN", "FP"}, {"FN", "TP"}};
    double[][] values = {{c.tn(), c.fp()}, {c.fn(), c.tp()}};
    for (int r = 0; r < 2; r++) {
      for (int k = 0; k < 2; k++) {
        double shade = max == 0 ? 0 : values[r][k] / max;
        int g = (int) Math.round(245 - 150 * shade);
        sb.append(
            String.format(
                "<rect x=\"%d\" y=\"%d\" width=\"110\" height=\"80\" fill=\"rgb(%d,%d,255)\""
                    + " stroke=\"#666\"/>",
                70 + k * 110, 30 + r * 80, g, g));
        sb.append(
            String.format(
                "<text x=\"%d\" y=\"%d\" font-size=\"13\" text-anchor=\"middle\">%s %,d</text>",
                125 + k * 110, 75 + r * 80, labels[r][k], (long) values[r][k]));
      }
    }
    sb.append(
        "<text x=\"125\" y=\"22\" font-size=\"11\" text-anchor=\"middle\">predicted 0</text>");
    sb.append(
        "<text x=\"235\" y=\"22\" font-size=\"11\" text-anchor=\"middle\">predicted 1</text>");
    sb.append("<text x=\"62\" y=\"75\" font-size=\"11\" text-anchor=\"end\">actual 0</text>");
    sb.append("<text x=\"62\" y=\"155\" font-size=\"11\" text-anchor=\"end\">actual 1</text>");
    sb.append("</svg></figure>\n");
    return sb.toString();
  }

  static String slices(List<SliceMetrics.Slice> slices) {
    int rowH = 18;
    int height = 30 + rowH * slices.size();
    StringBuilder sb = new StringBuilder();
    sb.append("<figure><figcaption>ROC-AUC per slice (bar) with row counts</figcaption>");
    sb.append(
        String.format(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"560\" height=\"%d\" role=\"img\""
                + " aria-label=\"Slices\">",
            height));
    int i = 0;
    for (SliceMetrics.Slice s : slices) {
      int y = 20 + i * rowH;
      double auc = Double.isNaN(s.rocAuc()) ? 0 : s.rocAuc();
      sb.append(
          String.format(
              "<text x=\"150\" y=\"%d\" font-size=\"11\" text-anchor=\"end\">%s</text>",
              y + 12, esc(s.name())));
      sb.append(
          String.format(
              "<rect class=\"bar\" x=\"155\" y=\"%d\" width=\"%s\" height=\"%d\" fill=\"%s\"/>",
              y + 2, px(280 * auc), rowH - 4, COLORS[0]));
      sb.append(
          String.format(
              "<text x=\"%s\" y=\"%d\" font-size=\"11\">%s (n=%,d, pos=%,d)</text>",
              px(160 + 280 * auc), y + 12, f(s.rocAuc()), s.count(), s.positives()));
      i++;
    }
    sb.append("</svg></figure>\n");
    return sb.toString();
  }

  /** The page. */
  public static String render(EvalReport r, String title) {
    StringBuilder sb = new StringBuilder();
    sb.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
    sb.append("<title>").append(esc(title)).append("</title>");
    sb.append(
        "<style>body{font-family:sans-serif;margin:24px;color:#222}"
            + "table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;"
            + "padding:3px 8px;text-align:right}th{background:#f3f3f3}td:first-child{text-align:left}"
            + "figure{display:inline-block;margin:8px}figcaption{font-weight:bold}"
            + ".pass{color:#176317}.fail{color:#a00;font-weight:bold}</style></head><body>\n");
    sb.append("<h1>").append(esc(title)).append("</h1>\n");
    sb.append(
        String.format(
            "<p>Mode <b>%s</b>, threshold %s, %,d rows, %,d positives. Gates: <b class=\"%s\">%s</b></p>%n",
            r.mode(),
            f(r.threshold()),
            r.headline().count(),
            r.headline().positives(),
            r.passed() ? "pass" : "fail",
            r.gates().isEmpty() ? "none" : r.passed() ? "all passed" : "FAILED"));
    if (!r.gates().isEmpty()) {
      sb.append(
          "<h2>Gates</h2><table><tr><th>gate</th><th>metric</th><th>result</th><th>detail</th></tr>\n");
      for (GateResult g : r.gates()) {
        sb.append(
            String.format(
                "<tr><td>%s</td><td>%s</td><td class=\"%s\">%s</td><td>%s</td></tr>%n",
                esc(g.name()),
                esc(g.metric()),
                g.passed() ? "pass" : "fail",
                g.passed() ? "pass" : "FAIL",
                esc(g.detail())));
      }
      sb.append("</table>\n");
    }
    sb.append("<h2>Charts</h2>\n");
    if (!r.roc().isEmpty()) {
      sb.append(
          chart(
              "ROC curve (AUC " + f(r.headline().rocAuc()) + ")",
              "false positive rate",
              "true positive rate",
              List.of(new Series("model", points(r.roc()), false)),
              true));
      sb.append(
          chart(
              "Precision-recall curve (average precision "
                  + f(r.headline().averagePrecision())
                  + ")",
              "recall",
              "precision",
              List.of(new Series("model", points(r.pr()), false)),
              false));
    }
    if (!r.calibration().isEmpty()) {
      List<double[]> cal = new ArrayList<>();
      for (EvalReport.CalibrationBin b : r.calibration()) {
        if (b.count() > 0) {
          cal.add(new double[] {b.meanScore(), b.positiveRate()});
        }
      }
      Double ece = r.metrics().get("ece");
      sb.append(
          chart(
              "Reliability curve (ECE " + f(ece == null ? Double.NaN : ece) + ")",
              "mean predicted probability",
              "observed positive rate",
              List.of(new Series("model", cal, true)),
              true));
    }
    if (!r.sweep().isEmpty()) {
      List<double[]> p = new ArrayList<>();
      List<double[]> rc = new ArrayList<>();
      List<double[]> f1 = new ArrayList<>();
      List<double[]> fpr = new ArrayList<>();
      for (Curves.SweepRow s : r.sweep()) {
        p.add(new double[] {s.threshold(), s.precision()});
        rc.add(new double[] {s.threshold(), s.recall()});
        f1.add(new double[] {s.threshold(), s.f1()});
        fpr.add(new double[] {s.threshold(), s.falsePositiveRate()});
      }
      sb.append(
          chart(
              "Threshold sweep (" + r.sweep().size() + " thresholds)",
              "threshold",
              "value",
              List.of(
                  new Series("precision", p, false),
                  new Series("recall", rc, false),
                  new Series("F1", f1, false),
                  new Series("FPR", fpr, false)),
              false));
    }
    if (r.confusion() != null) {
      sb.append(confusion(r.confusion()));
    }
    if (!r.slices().isEmpty()) {
      sb.append(slices(r.slices()));
      if (!r.weakest().isEmpty()) {
        sb.append(
            "<h2>Weakest slices</h2><table><tr><th>slice</th><th>rows</th><th>positives</th>"
                + "<th>ROC-AUC</th><th>recall</th><th>precision</th></tr>\n");
        for (SliceMetrics.Slice s : r.weakest()) {
          sb.append(
              String.format(
                  "<tr><td>%s</td><td>%,d</td><td>%,d</td><td>%s</td><td>%s</td><td>%s</td></tr>%n",
                  esc(s.name()),
                  s.count(),
                  s.positives(),
                  f(s.rocAuc()),
                  f(s.confusion().recall()),
                  f(s.confusion().precision())));
        }
        sb.append("</table>\n");
      }
    }
    if (!r.baselines().isEmpty()) {
      sb.append("<h2>Baselines</h2><table><tr><th>metric</th><th>model</th>");
      r.baselines().keySet().forEach(b -> sb.append("<th>").append(esc(b)).append("</th>"));
      sb.append("</tr>\n");
      for (String m :
          List.of(
              "roc_auc", "average_precision", "log_loss", "brier", "accuracy", "f1", "recall")) {
        sb.append("<tr><td>").append(m).append("</td><td>");
        Double mine = r.metrics().get(m);
        sb.append(f(mine == null ? Double.NaN : mine)).append("</td>");
        for (Map<String, Double> b : r.baselines().values()) {
          Double v = b.get(m);
          sb.append("<td>").append(f(v == null ? Double.NaN : v)).append("</td>");
        }
        sb.append("</tr>\n");
      }
      sb.append("</table>\n");
    }
    if (!r.drift().isEmpty()) {
      sb.append("<h2>Drift (PSI against the training data)</h2><table><tr><th>feature</th>");
      r.drift().keySet().forEach(d -> sb.append("<th>").append(esc(d)).append("</th>"));
      sb.append("</tr>\n");
      Map<String, Double> first = r.drift().values().iterator().next();
      for (String feature : first.keySet()) {
        sb.append("<tr><td>").append(esc(feature)).append("</td>");
        for (Map<String, Double> d : r.drift().values()) {
          Double v = d.get(feature);
          sb.append("<td>").append(f(v == null ? Double.NaN : v)).append("</td>");
        }
        sb.append("</tr>\n");
      }
      sb.append("</table>\n");
    }
    sb.append(definitions());
    sb.append("<h2>All metrics</h2><table><tr><th>metric</th><th>value</th></tr>\n");
    r.metrics()
        .forEach(
            (k, v) ->
                sb.append("<tr><td>")
                    .append(esc(k))
                    .append("</td><td>")
                    .append(f(v))
                    .append("</td></tr>\n"));
    sb.append("</table>\n</body></html>\n");
    return sb.toString();
  }

  /** What the area metrics are, and how exact the reported values are. */
  static String definitions() {
    return "<h2>Metric definitions</h2><dl>\n"
        + "<dt>roc_auc</dt><dd>The probability that a random positive scores above a random"
        + " negative, a tied pair counting 1/2: the Mann-Whitney U statistic over (positives x"
        + " negatives), as scikit-learn's <code>roc_auc_score</code>.</dd>\n"
        + "<dt>average_precision</dt><dd>The sum over thresholds t<sub>n</sub>, the distinct"
        + " scores in descending order (score &ge; t predicts positive), of (R<sub>n</sub> -"
        + " R<sub>n-1</sub>) P<sub>n</sub>, with R<sub>0</sub> = 0: step-wise, no interpolation,"
        + " as scikit-learn's <code>average_precision_score</code>. It is not the trapezoid area"
        + " under the precision-recall curve.</dd>\n"
        + "<dt>slice.&lt;column&gt;=&lt;value&gt;.roc_auc</dt><dd>roc_auc over that slice's"
        + " rows.</dd>\n"
        + "<dt>How exact</dt><dd>Every area is within "
        + String.format(Locale.ROOT, "%.0e", ExactAreas.TOLERANCE)
        + " of its definition, by a bound computed from the data: from score bins (width 1e-5"
        + " overall, 1e-3 per slice) when their bound allows (a bin whose rows share one score is"
        + " exact), else, for large slices, from "
        + SliceMetrics.REFINED_BINS
        + " bins of about equal rows, else exactly from positives and negatives per distinct"
        + " score. Confidence intervals: percentile Poisson bootstrap on 1e-3 bins, shifted by the"
        + " bins' bias. The curves are drawn from the 1e-5 bins.</dd>\n"
        + "</dl>\n";
  }

  private static List<double[]> points(List<Curves.Point> pts) {
    List<double[]> out = new ArrayList<>();
    for (Curves.Point p : pts) {
      out.add(new double[] {p.x(), p.y()});
    }
    return out;
  }
}

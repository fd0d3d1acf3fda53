package dev.plumb.evaluation;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything an evaluation measured, and pass/fail per gate. {@link #metrics()} is the flat map of
 * named values gates refer to; the other fields hold the curves, tables and charts' data. Sections
 * a mode does not measure are empty. {@link #toJson()} is the machine-readable form; {@link
 * HtmlReport} renders the page for people.
 */
public record EvalReport(
    EvalSpec.Mode mode,
    double threshold,
    BinaryMetrics.Result headline,
    Map<String, Double> metrics,
    Map<String, double[]> intervals,
    Confusion confusion,
    List<Curves.Point> roc,
    List<Curves.Point> pr,
    List<Curves.SweepRow> sweep,
    List<CalibrationBin> calibration,
    List<SliceMetrics.Slice> slices,
    List<SliceMetrics.Slice> weakest,
    Map<String, Map<String, Double>> baselines,
    Map<String, Map<String, Double>> drift,
    Map<String, Object> sample,
    List<GateResult> gates) {

  /** One bin of the reliability curve. */
  public record CalibrationBin(
      double lower, double upper, long count, double meanScore, double positiveRate) {}

  /** True when every gate passed (or there are none). */
  public boolean passed() {
    return gates.stream().allMatch(GateResult::passed);
  }

  /** The gates that failed. */
  public List<GateResult> failedGates() {
    return gates.stream().filter(g -> !g.passed()).toList();
  }

  private static Object num(double v) {
    return Double.isFinite(v) ? v : null;
  }

  private static Map<String, Object> nums(Map<String, Double> m) {
    Map<String, Object> out = new LinkedHashMap<>();
    m.forEach((k, v) -> out.put(k, num(v)));
    return out;
  }

  /** A tree of maps, lists, strings and numbers (non-finite numbers as null), for JSON. */
  public Map<String, Object> toJson() {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("mode", mode.toString());
    out.put("threshold", threshold);
    out.put("passed", passed());
    List<Object> g = new ArrayList<>();
    for (GateResult r : gates) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("name", r.name());
      m.put("metric", r.metric());
      m.put("passed", r.passed());
      m.put("detail", r.detail());
      g.add(m);
    }
    out.put("gates", g);
    out.put("metrics", nums(metrics));
    Map<String, Object> ci = new LinkedHashMap<>();
    intervals.forEach((k, v) -> ci.put(k, List.of(num(v[0]), num(v[1]))));
    out.put("confidence_intervals", ci);
    out.put("sample", sample);
    if (confusion != null) {
      out.put(
          "confusion_matrix",
          Map.of(
              "tp", (long) confusion.tp(),
              "fp", (long) confusion.fp(),
              "tn", (long) confusion.tn(),
              "fn", (long) confusion.fn()));
    }
    out.put("roc_curve", roc.stream().map(p -> List.of(p.x(), p.y(), p.threshold())).toList());
    out.put("pr_curve", pr.stream().map(p -> List.of(p.x(), p.y(), p.threshold())).toList());
    List<Object> sw = new ArrayList<>();
    for (Curves.SweepRow r : sweep) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("threshold", r.threshold());
      m.put("precision", r.precision());
      m.put("recall", r.recall());
      m.put("f1", r.f1());
      m.put("false_positive_rate", r.falsePositiveRate());
      sw.add(m);
    }
    out.put("threshold_sweep", sw);
    List<Object> cal = new ArrayList<>();
    for (CalibrationBin b : calibration) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("lower", b.lower());
      m.put("upper", b.upper());
      m.put("count", b.count());
      m.put("mean_score", num(b.meanScore()));
      m.put("positive_rate", num(b.positiveRate()));
      cal.add(m);
    }
    out.put("calibration", cal);
    out.put("slices", slices.stream().map(EvalReport::slice).toList());
    out.put("weakest_slices", weakest.stream().map(EvalReport::slice).toList());
    Map<String, Object> b = new LinkedHashMap<>();
    baselines.forEach((k, v) -> b.put(k, nums(v)));
    out.put("baselines", b);
    Map<String, Object> d = new LinkedHashMap<>();
    drift.forEach((k, v) -> d.put(k, nums(v)));
    out.put("drift_psi", d);
    return out;
  }

  private static Map<String, Object> slice(SliceMetrics.Slice s) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("column", s.column());
    m.put("value", s.value());
    m.putAll(nums(s.asMap()));
    return m;
  }
}

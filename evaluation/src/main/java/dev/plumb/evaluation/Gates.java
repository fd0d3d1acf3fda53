package dev.plumb.evaluation;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/** Checks gates against the measured metrics. */
public final class Gates {

  private Gates() {}

  /** One result per gate, in the spec's order. */
  public static List<GateResult> check(List<Gate> gates, Map<String, Double> metrics) {
    List<GateResult> out = new ArrayList<>();
    for (Gate g : gates) {
      out.add(check(g, metrics));
    }
    return out;
  }

  /** Whether the gate's metric (or pattern) names at least one of {@code names}. */
  static boolean matchesAny(Gate g, java.util.Collection<String> names) {
    Pattern pattern = pattern(g);
    return names.stream().anyMatch(n -> pattern.matcher(n).matches());
  }

  private static Pattern pattern(Gate g) {
    return Pattern.compile(Pattern.quote(g.metric()).replace("*", "\\E.*\\Q"));
  }

  /**
   * The metrics the gate checks (its metric, or every name its pattern matches) that fail it, in
   * the order of {@code metrics}: what a failed gate blames.
   */
  public static List<String> failing(Gate g, Map<String, Double> metrics) {
    Pattern pattern = pattern(g);
    List<String> out = new ArrayList<>();
    for (String name : metrics.keySet()) {
      if (pattern.matcher(name).matches() && failure(g, name, metrics) != null) {
        out.add(name);
      }
    }
    return out;
  }

  /** Why the metric {@code name} fails the gate, in words; null when it passes. */
  private static String failure(Gate g, String name, Map<String, Double> metrics) {
    double value = metrics.get(name);
    double offset = 0;
    String against = "";
    if (g.baseline() != null) {
      Double b = metrics.get("baseline." + g.baseline() + "." + name);
      if (b == null) {
        return name + ": baseline " + g.baseline() + " has no " + name;
      }
      offset = b;
      against = fmt(b) + " (" + g.baseline() + ") + ";
    }
    StringBuilder why = new StringBuilder();
    if (Double.isNaN(value)) {
      why.append("is undefined");
    }
    if (g.atLeast() != null && !(value >= offset + g.atLeast())) {
      why.append(fmt(value) + " < " + against + fmt(g.atLeast()));
    }
    if (g.atMost() != null && !(value <= offset + g.atMost())) {
      why.append(fmt(value) + " > " + against + fmt(g.atMost()));
    }
    return why.length() > 0 ? name + " " + why : null;
  }

  static GateResult check(Gate g, Map<String, Double> metrics) {
    Pattern pattern = pattern(g);
    List<String> names = new ArrayList<>();
    for (String name : metrics.keySet()) {
      if (pattern.matcher(name).matches()) {
        names.add(name);
      }
    }
    if (names.isEmpty()) {
      return new GateResult(
          g.name(),
          g.metric(),
          false,
          "metric "
              + g.metric()
              + (g.metric().contains("pr_auc")
                  ? " was not measured: pr_auc (a trapezoid area) is no longer reported; use"
                      + " average_precision (scikit-learn's step-wise definition, README.md"
                      + " \"Metric definitions\")"
                  : " was not measured (is it computed in this mode, and is the slice or feature"
                      + " configured?)"));
    }
    List<String> failures = new ArrayList<>();
    List<String> checked = new ArrayList<>();
    for (String name : names) {
      String failure = failure(g, name, metrics);
      if (failure != null) {
        failures.add(failure);
      } else {
        checked.add(name + " = " + fmt(metrics.get(name)));
      }
    }
    String bounds =
        (g.atLeast() == null ? "" : "at least " + fmt(g.atLeast()))
            + (g.atLeast() != null && g.atMost() != null ? " and " : "")
            + (g.atMost() == null ? "" : "at most " + fmt(g.atMost()))
            + (g.baseline() == null ? "" : " over baseline " + g.baseline());
    if (failures.isEmpty()) {
      return new GateResult(
          g.name(), g.metric(), true, String.join(", ", checked) + " (" + bounds + ")");
    }
    return new GateResult(
        g.name(), g.metric(), false, String.join("; ", failures) + " (required: " + bounds + ")");
  }

  private static String fmt(double v) {
    return String.format("%.6g", v);
  }
}

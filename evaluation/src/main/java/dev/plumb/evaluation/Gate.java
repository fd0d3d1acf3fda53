package dev.plumb.evaluation;

import java.util.List;

/**
 * A gate, declared as data: the named metric (a name from {@link EvalReport#metrics()}, where
 * {@code *} matches any run of characters, and every match must pass) must be at least {@code
 * atLeast} and/or at most {@code atMost}. With a {@code baseline}, the bounds are relative: the
 * metric must be at least {@code baseline.<name>.<metric> + atLeast} (and at most {@code ... +
 * atMost}).
 *
 * @param name what the report calls it
 * @param metric the metric name or pattern, e.g. {@code roc_auc}, {@code slice.channel=*.recall}
 * @param atLeast lower bound (or delta over the baseline), null for none
 * @param atMost upper bound (or delta over the baseline), null for none
 * @param baseline {@code zero_rule}, {@code prior_random} or {@code heuristic}; null for absolute
 */
public record Gate(String name, String metric, Double atLeast, Double atMost, String baseline) {

  /** The baselines a gate can compare with (see Baselines). */
  public static final List<String> BASELINES = List.of("zero_rule", "prior_random", "heuristic");

  public Gate {
    if (metric == null || metric.isBlank()) {
      throw EvalErrors.badSpec("gate '" + name + "' has no metric");
    }
    if (atLeast == null && atMost == null) {
      throw EvalErrors.badSpec(
          "gate '" + name + "' on " + metric + " needs at_least and/or at_most");
    }
    if (baseline != null && !BASELINES.contains(baseline)) {
      throw EvalErrors.badSpec(
          "gate '"
              + name
              + "' compares against unknown baseline '"
              + baseline
              + "'; valid baselines: "
              + BASELINES);
    }
    if (name == null || name.isBlank()) {
      name = metric + (baseline == null ? "" : " vs " + baseline);
    }
  }

  /** An absolute gate. */
  public static Gate atLeast(String metric, double bound) {
    return new Gate(null, metric, bound, null, null);
  }

  /** An absolute upper bound. */
  public static Gate atMost(String metric, double bound) {
    return new Gate(null, metric, null, bound, null);
  }
}

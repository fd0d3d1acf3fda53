package dev.plumb.evaluation;

import dev.plumb.features.io.Storage;
import dev.plumb.features.io.YamlDocs;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads an {@link EvalSpec} from YAML ({@code conf/eval/demo.yaml} shows and documents every key).
 * Unknown keys are rejected at every level with the list of valid ones; missing keys take {@link
 * EvalSpec#defaults()}'s values.
 */
public final class EvalSpecLoader {

  private static final Set<String> TOP =
      Set.of(
          "mode",
          "sample",
          "sweep_points",
          "costs",
          "bootstrap",
          "calibration",
          "slices",
          "baselines",
          "drift",
          "behaviour",
          "gates");

  private EvalSpecLoader() {}

  /** Reads the file; {@code origin} names it in errors. */
  public static EvalSpec load(Storage storage, String file) {
    String text =
        YamlDocs.readSpec(storage, file, "evaluation spec", "evaluate.spec", "conf/eval/demo.yaml");
    return parse(text, "evaluation spec " + file);
  }

  public static EvalSpec parse(String text, String origin) {
    Map<String, Object> top = YamlDocs.parse(text, origin);
    YamlDocs.requireKnownKeys(top, TOP, "the top level", origin);
    EvalSpec d = EvalSpec.defaults();

    Map<String, Object> sample =
        YamlDocs.section(top, "sample", Set.of("fraction", "rows", "stratify_by", "seed"), origin);
    Map<String, Object> costs =
        YamlDocs.section(top, "costs", Set.of("false_positive", "false_negative"), origin);
    Map<String, Object> boot =
        YamlDocs.section(top, "bootstrap", Set.of("replicates", "confidence", "seed"), origin);
    Map<String, Object> cal = YamlDocs.section(top, "calibration", Set.of("bins"), origin);
    Map<String, Object> slices =
        YamlDocs.section(top, "slices", Set.of("columns", "min_support", "weakest"), origin);
    Map<String, Object> baselines = YamlDocs.section(top, "baselines", Set.of("heuristic"), origin);
    Map<String, Object> drift = YamlDocs.section(top, "drift", Set.of("features", "bins"), origin);
    Map<String, Object> behaviour =
        YamlDocs.section(
            top,
            "behaviour",
            Set.of("sample_rows", "perturbation", "invariance", "directional"),
            origin);

    EvalSpec.Heuristic heuristic = null;
    Map<String, Object> h =
        YamlDocs.section(
            baselines, "heuristic", Set.of("feature", "direction", "threshold"), origin);
    if (!h.isEmpty()) {
      String direction = str(h, "direction", "higher");
      if (!direction.equals("higher") && !direction.equals("lower")) {
        throw new IllegalArgumentException(
            "Cannot read "
                + origin
                + ": baselines.heuristic.direction must be higher or lower but was '"
                + direction
                + "'");
      }
      heuristic =
          new EvalSpec.Heuristic(
              YamlDocs.string(h, "feature", origin),
              direction.equals("higher"),
              h.get("threshold") == null ? null : num(h, "threshold", 0, origin));
    }

    EvalSpec.Perturbation perturbation = null;
    Map<String, Object> pt =
        YamlDocs.section(behaviour, "perturbation", Set.of("features", "scale"), origin);
    if (!pt.isEmpty()) {
      perturbation =
          new EvalSpec.Perturbation(
              YamlDocs.strings(pt, "features"), num(pt, "scale", 0.1, origin));
    }
    EvalSpec.Invariance invariance = null;
    Map<String, Object> inv =
        YamlDocs.section(behaviour, "invariance", Set.of("column", "values", "tolerance"), origin);
    if (!inv.isEmpty()) {
      List<Double> values = new ArrayList<>();
      for (String v : YamlDocs.strings(inv, "values")) {
        values.add(parseDouble(v, "behaviour.invariance.values", origin));
      }
      invariance =
          new EvalSpec.Invariance(
              YamlDocs.string(inv, "column", origin), values, num(inv, "tolerance", 0.05, origin));
    }
    List<EvalSpec.Directional> directional = new ArrayList<>();
    for (Map<String, Object> m :
        list(behaviour, "directional", Set.of("feature", "delta", "tolerance"), origin)) {
      directional.add(
          new EvalSpec.Directional(
              YamlDocs.string(m, "feature", origin),
              num(m, "delta", 1, origin),
              num(m, "tolerance", 1e-6, origin)));
    }
    List<Gate> gates =
        gates(top, Set.of("name", "metric", "at_least", "at_most", "baseline"), origin);
    return new EvalSpec(
        top.get("mode") == null ? d.mode() : EvalSpec.Mode.parse(String.valueOf(top.get("mode"))),
        d.threshold(),
        new EvalSpec.Sample(
            num(sample, "fraction", d.sample().fraction(), origin),
            (long) num(sample, "rows", d.sample().rows(), origin),
            str(sample, "stratify_by", ""),
            (long) num(sample, "seed", d.sample().seed(), origin)),
        (int) num(top, "sweep_points", d.sweepPoints(), origin),
        new EvalSpec.Costs(
            num(costs, "false_positive", d.costs().falsePositive(), origin),
            num(costs, "false_negative", d.costs().falseNegative(), origin)),
        new EvalSpec.Bootstrap(
            (int) num(boot, "replicates", d.bootstrap().replicates(), origin),
            num(boot, "confidence", d.bootstrap().confidence(), origin),
            (long) num(boot, "seed", d.bootstrap().seed(), origin)),
        (int) num(cal, "bins", d.calibrationBins(), origin),
        new EvalSpec.Slices(
            YamlDocs.strings(slices, "columns"),
            (long) num(slices, "min_support", d.slices().minSupport(), origin),
            (int) num(slices, "weakest", d.slices().weakest(), origin)),
        heuristic,
        new EvalSpec.Drift(
            YamlDocs.strings(drift, "features"),
            (int) num(drift, "bins", d.drift().bins(), origin)),
        new EvalSpec.Behaviour(
            (long) num(behaviour, "sample_rows", d.behaviour().sampleRows(), origin),
            perturbation,
            invariance,
            directional),
        gates);
  }

  /**
   * The {@code gates:} list of a spec's top level (null or absent: none), each entry with {@code
   * metric} and {@code at_least} and/or {@code at_most}, optionally a {@code name}; without a
   * {@code baseline} key, since only an evaluation has baselines. Unknown keys are rejected with
   * the valid ones.
   */
  public static List<Gate> absoluteGates(Map<String, Object> top, String origin) {
    return gates(top, Set.of("name", "metric", "at_least", "at_most"), origin);
  }

  private static List<Gate> gates(Map<String, Object> top, Set<String> keys, String origin) {
    List<Gate> gates = new ArrayList<>();
    for (Map<String, Object> g : list(top, "gates", keys, origin)) {
      gates.add(
          new Gate(
              g.get("name") == null ? null : String.valueOf(g.get("name")),
              YamlDocs.string(g, "metric", origin),
              g.get("at_least") == null ? null : num(g, "at_least", 0, origin),
              g.get("at_most") == null ? null : num(g, "at_most", 0, origin),
              g.get("baseline") == null ? null : String.valueOf(g.get("baseline"))));
    }
    return gates;
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> list(
      Map<String, Object> parent, String key, Set<String> known, String origin) {
    Object v = parent.get(key);
    List<Map<String, Object>> out = new ArrayList<>();
    if (v == null) {
      return out;
    }
    if (!(v instanceof List<?> items)) {
      throw new IllegalArgumentException(
          "Cannot read " + origin + ": '" + key + "' must be a list of mappings");
    }
    for (Object item : items) {
      if (!(item instanceof Map<?, ?>)) {
        throw new IllegalArgumentException(
            "Cannot read " + origin + ": each entry of '" + key + "' must be a mapping");
      }
      Map<String, Object> m = (Map<String, Object>) item;
      YamlDocs.requireKnownKeys(m, known, "an entry of '" + key + "'", origin);
      out.add(m);
    }
    return out;
  }

  private static String str(Map<String, Object> m, String key, String dflt) {
    Object v = m.get(key);
    return v == null ? dflt : String.valueOf(v);
  }

  private static double num(Map<String, Object> m, String key, double dflt, String origin) {
    Object v = m.get(key);
    return v == null ? dflt : parseDouble(String.valueOf(v), key, origin);
  }

  private static double parseDouble(String text, String key, String origin) {
    try {
      return Double.parseDouble(text.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "Cannot read " + origin + ": '" + key + "' must be a number but was '" + text + "'");
    }
  }
}

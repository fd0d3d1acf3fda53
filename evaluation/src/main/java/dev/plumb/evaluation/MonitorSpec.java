package dev.plumb.evaluation;

import dev.plumb.features.io.Storage;
import dev.plumb.features.io.YamlDocs;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What {@code plumb monitor} holds new data to, declared as data ({@code conf/monitor/demo.yaml}
 * shows and documents every key): gates on the monitor's metrics ({@code feature.<f>.psi}, {@code
 * score.psi}, {@code contract.quarantine_rate}, ...), each metric or {@code *} pattern with {@code
 * at_least} and/or {@code at_most}, as {@link Gates} checks them for an evaluation.
 *
 * @param gates the gates, in the spec's order
 */
public record MonitorSpec(List<Gate> gates) {

  /** The top-level keys of a monitor spec. */
  public static final Set<String> KEYS = Set.of("gates");

  public MonitorSpec {
    gates = List.copyOf(gates);
    for (Gate g : gates) {
      if (g.baseline() != null) {
        throw EvalErrors.badSpec(
            "monitor gate '" + g.name() + "' names a baseline; monitor gates are absolute");
      }
    }
  }

  /**
   * The gates without a spec: no feature's PSI above 0.2, unseen categories on at most 0.1% of the
   * rows, no feature's null share up by more than 5 points, the score's PSI at most 0.2, and at
   * most 1% of the rows breaking the data contract.
   */
  public static MonitorSpec defaults() {
    return new MonitorSpec(
        List.of(
            Gate.atMost("feature.*.psi", 0.2),
            Gate.atMost("feature.*.unseen_share", 0.001),
            Gate.atMost("feature.*.null_share_change", 0.05),
            Gate.atMost("score.psi", 0.2),
            Gate.atMost("contract.quarantine_rate", 0.01)));
  }

  /** Reads the spec file; a file that cannot be read or parsed fails naming it. */
  public static MonitorSpec load(Storage storage, String file) {
    String text =
        YamlDocs.readSpec(storage, file, "monitor spec", "monitor.spec", "conf/monitor/demo.yaml");
    return parse(text, "monitor spec " + file);
  }

  /**
   * Parses a spec from YAML text; unknown keys are rejected with the valid ones. Without a {@code
   * gates} key the spec has the {@link #defaults()}; its gates replace them otherwise.
   */
  public static MonitorSpec parse(String text, String origin) {
    Map<String, Object> top = YamlDocs.parse(text, origin);
    YamlDocs.requireKnownKeys(top, KEYS, "the top level", origin);
    // No gates key: the defaults; an empty list: no gates at all.
    return top.containsKey("gates")
        ? new MonitorSpec(EvalSpecLoader.absoluteGates(top, origin))
        : defaults();
  }
}

package dev.plumb.training;

import dev.plumb.features.io.Storage;
import dev.plumb.features.io.YamlDocs;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * A hyperparameter search, declared as data ({@code tune.spec}; {@code conf/tune/demo.yaml} shows
 * every key): the space of XGBoost parameters, the budget in trials and wall-clock time, the seed,
 * and when a bad trial is stopped early.
 *
 * <p>The search is random (Bergstra and Bengio, 2012: with a budget of tens of trials it finds
 * settings as good as a grid at a fraction of the cost), seeded, so the same spec draws the same
 * trials. No well-kept Java library fits: Optuna and Hyperopt (TPE) are Python, Smile's {@code hpo}
 * offers grid and random search only and is GPL from 3.0 on; a seeded sampler is a few lines.
 *
 * @param metric the validation metric trials are ranked by ("" = {@code train.eval_metric}); it is
 *     also the metric early stopping watches
 * @param trials the most trials, the defaults' trial included
 * @param wallClock no new trial starts after this much time (a running one finishes)
 * @param seed seed of the sampler
 * @param pruneAfterRounds median stopping rule: a trial first trains this many rounds and stops
 *     there when its best validation value so far is worse than the median of the completed trials'
 *     values at that round; 0 = off
 * @param pruneMinTrials completed trials needed before the rule prunes
 * @param space the parameters searched
 */
public record TuneSpec(
    String metric,
    int trials,
    Duration wallClock,
    long seed,
    int pruneAfterRounds,
    int pruneMinTrials,
    List<Param> space) {

  /** How a parameter is drawn. */
  public enum Kind {
    FLOAT,
    INT,
    CHOICE
  }

  /**
   * One searched parameter: an XGBoost parameter name ({@code eta}, {@code max_depth}, {@code
   * min_child_weight}, ...), drawn uniformly from [low, high] (on a log scale when {@code log}) or
   * from {@code values}.
   */
  public record Param(
      String name, Kind kind, double low, double high, boolean log, List<Object> values) {

    public Param {
      values = values == null ? List.of() : List.copyOf(values);
    }

    /** One draw. */
    public Object sample(SplittableRandom rng) {
      switch (kind) {
        case CHOICE:
          return values.get(rng.nextInt(values.size()));
        case INT:
          {
            if (log) {
              double x =
                  Math.exp(Math.log(low) + rng.nextDouble() * (Math.log(high + 1) - Math.log(low)));
              return (int) Math.min(high, Math.floor(x));
            }
            return (int) low + rng.nextInt((int) high - (int) low + 1);
          }
        default:
          return log
              ? Math.exp(Math.log(low) + rng.nextDouble() * (Math.log(high) - Math.log(low)))
              : low + rng.nextDouble() * (high - low);
      }
    }
  }

  private static final Set<String> TOP = Set.of("metric", "budget", "seed", "pruning", "space");

  public TuneSpec {
    space = List.copyOf(space);
    if (trials < 1) {
      throw bad("budget.trials must be at least 1 (the default parameters' trial)");
    }
    if (space.isEmpty()) {
      throw bad("space is empty: declare at least one parameter to search");
    }
  }

  /** The {@code trial}-th draw (1-based; trial 0 is the defaults), the same for the same seed. */
  public Map<String, Object> sample(int trial) {
    // One generator per trial, from the seed and the trial's number: trial n draws the same values
    // whatever the budget or how many trials ran before it.
    SplittableRandom draw = new SplittableRandom(seed ^ (0x9E3779B97F4A7C15L * trial));
    Map<String, Object> out = new LinkedHashMap<>();
    for (Param p : space) {
      out.put(p.name(), p.sample(draw));
    }
    return out;
  }

  /** Reads the spec file; the error names the file and the key. */
  public static TuneSpec load(Storage storage, String file) {
    String text =
        YamlDocs.readSpec(storage, file, "tuning spec", "tune.spec", "conf/tune/demo.yaml");
    return parse(text, "tuning spec " + file);
  }

  @SuppressWarnings("unchecked")
  public static TuneSpec parse(String text, String origin) {
    Map<String, Object> top = YamlDocs.parse(text, origin);
    YamlDocs.requireKnownKeys(top, TOP, "the top level", origin);
    Map<String, Object> budget =
        YamlDocs.section(top, "budget", Set.of("trials", "minutes"), origin);
    Map<String, Object> pruning =
        YamlDocs.section(top, "pruning", Set.of("after_rounds", "min_trials"), origin);
    Object spaceValue = top.get("space");
    if (!(spaceValue instanceof Map<?, ?> spaceMap)) {
      throw new IllegalArgumentException(
          "Cannot read "
              + origin
              + ": 'space' must map parameter names to {low, high[, log, type]} or {values: [...]}");
    }
    List<Param> space = new ArrayList<>();
    for (Map.Entry<?, ?> e : spaceMap.entrySet()) {
      String name = String.valueOf(e.getKey());
      if (!(e.getValue() instanceof Map<?, ?> raw)) {
        throw new IllegalArgumentException(
            "Cannot read " + origin + ": space." + name + " must be a mapping");
      }
      Map<String, Object> p = (Map<String, Object>) raw;
      YamlDocs.requireKnownKeys(
          p, Set.of("type", "low", "high", "log", "values"), "space." + name, origin);
      String type =
          String.valueOf(p.getOrDefault("type", p.containsKey("values") ? "choice" : "float"))
              .toLowerCase(Locale.ROOT);
      Kind kind;
      try {
        kind = Kind.valueOf(type.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException ex) {
        throw new IllegalArgumentException(
            "Cannot read "
                + origin
                + ": space."
                + name
                + ".type '"
                + type
                + "' is not one of [float, int, choice]");
      }
      boolean log = Boolean.parseBoolean(String.valueOf(p.getOrDefault("log", "false")));
      if (kind == Kind.CHOICE) {
        List<Object> values = p.get("values") instanceof List<?> l ? new ArrayList<>(l) : null;
        if (values == null || values.isEmpty()) {
          throw new IllegalArgumentException(
              "Cannot read " + origin + ": space." + name + " of type choice needs values: [...]");
        }
        space.add(new Param(name, kind, 0, 0, false, values));
        continue;
      }
      double low = number(p, "low", name, origin);
      double high = number(p, "high", name, origin);
      if (!(low < high) || (log && low <= 0)) {
        throw new IllegalArgumentException(
            "Cannot read "
                + origin
                + ": space."
                + name
                + " needs low < high"
                + (log ? " and low > 0 on a log scale" : "")
                + " (got low "
                + low
                + ", high "
                + high
                + ")");
      }
      space.add(new Param(name, kind, low, high, log, null));
    }
    double minutes = Double.parseDouble(String.valueOf(budget.getOrDefault("minutes", "60")));
    return new TuneSpec(
        String.valueOf(top.getOrDefault("metric", "")),
        Integer.parseInt(String.valueOf(budget.getOrDefault("trials", "20"))),
        Duration.ofMillis((long) (minutes * 60_000)),
        Long.parseLong(String.valueOf(top.getOrDefault("seed", "7"))),
        Integer.parseInt(String.valueOf(pruning.getOrDefault("after_rounds", "0"))),
        Integer.parseInt(String.valueOf(pruning.getOrDefault("min_trials", "3"))),
        space);
  }

  private static double number(Map<String, Object> p, String key, String name, String origin) {
    Object v = p.get(key);
    if (!(v instanceof Number n)) {
      throw new IllegalArgumentException(
          "Cannot read " + origin + ": space." + name + "." + key + " must be a number");
    }
    return n.doubleValue();
  }

  private static IllegalArgumentException bad(String what) {
    return new IllegalArgumentException("Cannot read the tuning spec: " + what);
  }
}

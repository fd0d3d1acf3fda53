package dev.plumb.evaluation;

import java.util.List;
import java.util.Locale;

/**
 * What an evaluation measures and which gates it applies; thresholds are data, as in TFMA's
 * EvalConfig. Loaded from YAML by the jobs module ({@code conf/eval/demo.yaml} documents every
 * field); {@link #defaults()} is the spec used when none is given.
 *
 * @param mode fast (a stratified sample, headline metrics) or full (everything)
 * @param threshold decision threshold for the confusion matrix and threshold metrics (0-1)
 * @param sample fast mode's deterministic stratified sample
 * @param sweepPoints thresholds in the sweep, evenly spaced over [0, 1]; divides {@value
 *     ScorePass#FINE_BINS}
 * @param costs error costs for the cost-weighted threshold
 * @param bootstrap Poisson-bootstrap confidence intervals
 * @param calibrationBins equal-width bins of the reliability curve; divides {@value
 *     ScorePass#COARSE_BINS}
 * @param slices columns to slice by and the weakest-slice search
 * @param heuristic an optional one-feature baseline, null for none
 * @param drift population stability per feature
 * @param behaviour perturbation, invariance and directional tests
 * @param gates pass/fail rules over the measured metrics
 */
public record EvalSpec(
    Mode mode,
    double threshold,
    Sample sample,
    int sweepPoints,
    Costs costs,
    Bootstrap bootstrap,
    int calibrationBins,
    Slices slices,
    Heuristic heuristic,
    Drift drift,
    Behaviour behaviour,
    List<Gate> gates) {

  /** The baselines every evaluation measures (heuristic only when configured). */
  public static final List<String> BASELINES = Gate.BASELINES;

  /** Fast (during iteration) or full (for candidates). */
  public enum Mode {
    FAST,
    FULL;

    /** Parses {@code fast} or {@code full}. */
    public static Mode parse(String text) {
      try {
        return Mode.valueOf(text.trim().toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw EvalErrors.badSpec("mode must be fast or full but was '" + text + "'");
      }
    }

    @Override
    public String toString() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /**
   * A deterministic stratified sample: within each stratum (label, and the value of {@code
   * stratifyBy} when set), the rows with the smallest seeded hash of the key, as many as {@code
   * fraction} of the stratum (or {@code rows} in all, spread proportionally).
   *
   * @param fraction share of each stratum (0-1]; ignored when rows is positive
   * @param rows total sample size, spread over strata in proportion; 0 = use the fraction
   * @param stratifyBy an extra column to stratify by, or empty
   * @param seed hash seed: another seed draws other rows
   */
  public record Sample(double fraction, long rows, String stratifyBy, long seed) {
    public Sample {
      if (!(fraction > 0 && fraction <= 1)) {
        throw EvalErrors.badSpec("sample.fraction must be in (0, 1] but was " + fraction);
      }
      if (rows < 0) {
        throw EvalErrors.badSpec("sample.rows must be >= 0 but was " + rows);
      }
      stratifyBy = stratifyBy == null ? "" : stratifyBy;
    }
  }

  /** Costs of a false positive and a false negative (any unit, both >= 0, not both 0). */
  public record Costs(double falsePositive, double falseNegative) {
    public Costs {
      if (falsePositive < 0 || falseNegative < 0 || falsePositive + falseNegative == 0) {
        throw EvalErrors.badSpec(
            "costs must be >= 0 and not both 0 but were false_positive="
                + falsePositive
                + ", false_negative="
                + falseNegative);
      }
    }
  }

  /**
   * Poisson bootstrap: every row gets a Poisson(1) weight per replicate, drawn from a seeded hash
   * of its key, so all replicates are measured in the same pass and rerun identically.
   */
  public record Bootstrap(int replicates, double confidence, long seed) {
    public Bootstrap {
      if (replicates < 0 || replicates > 1000) {
        throw EvalErrors.badSpec("bootstrap.replicates must be in [0, 1000] but was " + replicates);
      }
      if (!(confidence > 0 && confidence < 1)) {
        throw EvalErrors.badSpec("bootstrap.confidence must be in (0, 1) but was " + confidence);
      }
    }
  }

  /**
   * Slicing.
   *
   * @param columns columns whose values define slices (reported with their counts)
   * @param minSupport the fewest rows a slice needs to be ranked among the weakest
   * @param weakest how many of the weakest slices (lowest ROC-AUC) to report
   */
  public record Slices(List<String> columns, long minSupport, int weakest) {
    public Slices {
      columns = List.copyOf(columns);
      if (minSupport < 1 || weakest < 0) {
        throw EvalErrors.badSpec(
            "slices.min_support must be >= 1 and slices.weakest >= 0 but were "
                + minSupport
                + " and "
                + weakest);
      }
    }
  }

  /**
   * A one-feature baseline: the feature itself is the score ({@code higher}: larger values mean
   * positive), and with a threshold it also predicts a class.
   */
  public record Heuristic(String feature, boolean higherMeansPositive, Double threshold) {
    public Heuristic {
      if (feature == null || feature.isBlank()) {
        throw EvalErrors.badSpec("baselines.heuristic.feature is required");
      }
    }
  }

  /**
   * Drift: PSI per feature between the training data and the evaluation data (and any extra
   * dataset), over quantile bins of the training data.
   *
   * @param features features to compare; empty = the model's features
   * @param bins quantile bins (2-100)
   */
  public record Drift(List<String> features, int bins) {
    public Drift {
      features = List.copyOf(features);
      if (bins < 2 || bins > 100) {
        throw EvalErrors.badSpec("drift.bins must be in [2, 100] but was " + bins);
      }
    }
  }

  /**
   * Behavioural tests, on a deterministic sample of about {@code sampleRows} evaluation rows.
   *
   * @param sampleRows rows re-scored per test
   * @param perturbation noise test, null for none
   * @param invariance sensitive-column test, null for none
   * @param directional directional expectations (may be empty)
   */
  public record Behaviour(
      long sampleRows,
      Perturbation perturbation,
      Invariance invariance,
      List<Directional> directional) {
    public Behaviour {
      directional = List.copyOf(directional);
      if (sampleRows < 1) {
        throw EvalErrors.badSpec("behaviour.sample_rows must be >= 1 but was " + sampleRows);
      }
    }
  }

  /**
   * Adds uniform noise in [-scale, scale) standard deviations (of the sampled rows) to each
   * feature; reports how often the predicted class flips and how far the probability moves.
   */
  public record Perturbation(List<String> features, double scale) {
    public Perturbation {
      features = List.copyOf(features);
      if (features.isEmpty() || !(scale > 0)) {
        throw EvalErrors.badSpec("behaviour.perturbation needs features and a scale > 0");
      }
    }
  }

  /**
   * Sets the sensitive {@code column} to each of {@code values} in turn; a row violates when its
   * probability moves by more than {@code tolerance}.
   */
  public record Invariance(String column, List<Double> values, double tolerance) {
    public Invariance {
      values = List.copyOf(values);
      if (column == null || values.isEmpty() || tolerance < 0) {
        throw EvalErrors.badSpec(
            "behaviour.invariance needs a column, values and a tolerance >= 0");
      }
    }
  }

  /**
   * Raises {@code feature} by {@code delta}; a row violates when its probability falls by more than
   * {@code tolerance}.
   */
  public record Directional(String feature, double delta, double tolerance) {
    public Directional {
      if (feature == null || !(delta > 0) || tolerance < 0) {
        throw EvalErrors.badSpec(
            "behaviour.directional needs a feature, a delta > 0 and a tolerance >= 0");
      }
    }
  }

  public EvalSpec {
    if (!(threshold >= 0 && threshold <= 1)) {
      throw EvalErrors.badSpec("threshold must be in [0, 1] but was " + threshold);
    }
    if (sweepPoints < 100 || ScorePass.FINE_BINS % sweepPoints != 0) {
      throw EvalErrors.badSpec(
          "sweep_points must be >= 100 and divide "
              + ScorePass.FINE_BINS
              + " (e.g. 100, 200, 500, 1000) but was "
              + sweepPoints);
    }
    if (calibrationBins < 2 || ScorePass.COARSE_BINS % calibrationBins != 0) {
      throw EvalErrors.badSpec(
          "calibration.bins must divide "
              + ScorePass.COARSE_BINS
              + " (e.g. 10, 20, 50) but was "
              + calibrationBins);
    }
    gates = List.copyOf(gates);
  }

  /** Full mode, threshold 0.5, 100 bootstrap replicates, no slices, no behaviour tests. */
  public static EvalSpec defaults() {
    return new EvalSpec(
        Mode.FULL,
        0.5,
        new Sample(0.1, 0, "", 17),
        100,
        new Costs(1, 1),
        new Bootstrap(100, 0.95, 7),
        10,
        new Slices(List.of(), 100, 5),
        null,
        new Drift(List.of(), 10),
        new Behaviour(10_000, null, null, List.of()),
        List.of());
  }

  /** This spec with another decision threshold. */
  public EvalSpec withThreshold(double t) {
    return new EvalSpec(
        mode,
        t,
        sample,
        sweepPoints,
        costs,
        bootstrap,
        calibrationBins,
        slices,
        heuristic,
        drift,
        behaviour,
        gates);
  }

  /** This spec in another mode. */
  public EvalSpec withMode(Mode m) {
    return new EvalSpec(
        m,
        threshold,
        sample,
        sweepPoints,
        costs,
        bootstrap,
        calibrationBins,
        slices,
        heuristic,
        drift,
        behaviour,
        gates);
  }
}

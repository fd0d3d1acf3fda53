package dev.plumb.evaluation;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.lit;

import dev.plumb.features.io.Laps;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructType;

/**
 * Evaluates predictions against an {@link EvalSpec}. The predictions are scored once by the caller
 * (and should be cached); fast mode measures a deterministic stratified sample of them, full mode
 * all of them. Fast mode may instead be given the unscored rows and a scorer: it draws its sample
 * first and scores only the sample, so iterating never pays for scoring the whole split. Every
 * metric is global: aggregations over the whole dataset, never rows collected to the driver.
 * Counts, confusion matrices, log loss, Brier score and calibration are exact; the curves and the
 * sweep come from the shared pass's 1e-5 score bins. Every area is within {@link
 * ExactAreas#TOLERANCE} of its exact value: ROC-AUC and average precision come from the 1e-5 bins
 * when {@link Curves#binned} bounds their error by it, which avoids sorting the predictions; each
 * slice's ROC-AUC likewise from its 1e-3 bins or finer ones ({@link SliceMetrics#settle}); the rest
 * are computed exactly from counts per distinct score ({@link ExactAreas}), all in one job.
 */
public final class Evaluator {

  private static final int CURVE_POINTS = 200;

  private Evaluator() {}

  /**
   * What to evaluate.
   *
   * @param predictions the evaluation rows with their score (features, key, label, slice columns)
   * @param label the 0/1 label column
   * @param score the probability column
   * @param key the key column: it seeds the sample and the bootstrap weights
   * @param features the model's features (drift compares them)
   * @param scorer re-scores modified rows for behavioural tests; null when there are none
   * @param reference the training rows drift compares against; null for no drift
   * @param driftTargets further datasets to compare against the reference, by name
   * @param storedReference the same training rows' bins and shares as measured when the model was
   *     trained (its {@code reference.json}); when its bin count is the spec's and it holds every
   *     drift feature, drift takes the reference's edges and shares from it instead of two passes
   *     over {@code reference}; null to measure them
   */
  public record Input(
      Dataset<Row> predictions,
      String label,
      String score,
      String key,
      List<String> features,
      Scorer scorer,
      Dataset<Row> reference,
      Map<String, Dataset<Row>> driftTargets,
      Map<String, Map<String, String>> sliceValueNames,
      DriftReference storedReference) {

    public Input {
      features = List.copyOf(features);
      driftTargets = driftTargets == null ? Map.of() : Map.copyOf(driftTargets);
      sliceValueNames = sliceValueNames == null ? Map.of() : Map.copyOf(sliceValueNames);
    }

    /** Input whose slices are named by the values as they are in the rows. */
    public Input(
        Dataset<Row> predictions,
        String label,
        String score,
        String key,
        List<String> features,
        Scorer scorer,
        Dataset<Row> reference,
        Map<String, Dataset<Row>> driftTargets) {
      this(
          predictions,
          label,
          score,
          key,
          features,
          scorer,
          reference,
          driftTargets,
          Map.of(),
          null);
    }
  }

  /** Checks every column the spec needs, before any Spark job runs. */
  public static void checkSchema(Input in, EvalSpec spec) {
    StructType s = in.predictions().schema();
    List<String> columns = Arrays.asList(s.fieldNames());
    // Fast mode may be given unscored rows and a scorer: it then scores only its sample.
    boolean scoresItsSample =
        spec.mode() == EvalSpec.Mode.FAST && in.scorer() != null && !columns.contains(in.score());
    for (String c : scoresItsSample ? List.of(in.label()) : List.of(in.label(), in.score())) {
      if (!columns.contains(c)) {
        throw EvalErrors.missingColumn("the " + (c.equals(in.label()) ? "label" : "score"), c, s);
      }
      DataType t = s.apply(c).dataType();
      if (!(t instanceof NumericType)) {
        throw EvalErrors.wrongType(c, "numeric", t.simpleString());
      }
    }
    if (!columns.contains(in.key())) {
      throw EvalErrors.missingColumn("the key", in.key(), s);
    }
    List<String> needed = new ArrayList<>();
    if (spec.mode() == EvalSpec.Mode.FULL) {
      needed.addAll(spec.slices().columns());
      if (spec.heuristic() != null) {
        needed.add(spec.heuristic().feature());
      }
      needed.addAll(spec.drift().features());
      if (spec.behaviour().perturbation() != null) {
        needed.addAll(spec.behaviour().perturbation().features());
      }
      if (spec.behaviour().invariance() != null) {
        needed.add(spec.behaviour().invariance().column());
      }
      spec.behaviour().directional().forEach(d -> needed.add(d.feature()));
      boolean behaviour =
          spec.behaviour().perturbation() != null
              || spec.behaviour().invariance() != null
              || !spec.behaviour().directional().isEmpty();
      if (behaviour && in.scorer() == null) {
        throw EvalErrors.badSpec("behavioural tests are configured but no scorer was given");
      }
    } else if (!spec.sample().stratifyBy().isEmpty()) {
      needed.add(spec.sample().stratifyBy());
    }
    for (String c : needed) {
      if (!columns.contains(c)) {
        throw EvalErrors.missingColumn("the spec's", c, s);
      }
    }
  }

  /** Runs the evaluation the spec's mode asks for. */
  public static EvalReport evaluate(Input in, EvalSpec spec) {
    checkSchema(in, spec);
    return spec.mode() == EvalSpec.Mode.FAST ? fast(in, spec) : full(in, spec);
  }

  private static ScorePass pass(
      Dataset<Row> rows, Input in, EvalSpec spec, List<String> sliceColumns, String where) {
    ScorePass pass =
        ScorePass.run(
            rows,
            in.label(),
            in.score(),
            in.key(),
            spec.threshold(),
            spec.calibrationBins(),
            spec.bootstrap().replicates(),
            spec.bootstrap().seed(),
            sliceColumns);
    if (pass.skipped > 0) {
      throw new IllegalArgumentException(
          String.format(
              "Cannot evaluate %s: %d rows have a null label or score (fix the data or the"
                  + " scorer; rows are never dropped silently)",
              where, pass.skipped));
    }
    if (pass.n == 0) {
      throw new IllegalArgumentException(
          "Cannot evaluate " + where + ": it has no rows (check the evaluation split)");
    }
    if (pass.positives == 0 || pass.positives == pass.n) {
      throw EvalErrors.oneClass(where, pass.positives, pass.n);
    }
    return pass;
  }

  private static EvalReport fast(Input in, EvalSpec spec) {
    Laps t = new Laps();
    try (StratifiedSample.Result sample =
        StratifiedSample.draw(in.predictions(), in.label(), in.key(), spec.sample())) {
      return measureSample(in, sample.rows(), spec, sample.strataSizes(), sample.sampleSizes(), t);
    }
  }

  /**
   * Fast mode on a sample drawn earlier with {@link StratifiedSample#draw} and {@code
   * spec.sample()}, e.g. one stored with the feature set: the same sample gives the same report as
   * {@link #evaluate} in fast mode, without reading the rest of the evaluation data again.
   *
   * @param in the evaluation input; its predictions are ignored in favour of {@code sample}
   * @param sample the sampled rows, scored or (with {@code in.scorer()}) unscored
   * @param strataSizes rows per stratum in the population the sample was drawn from
   * @param sampleSizes rows per stratum in the sample
   */
  public static EvalReport evaluateSample(
      Input in,
      Dataset<Row> sample,
      EvalSpec spec,
      Map<String, Long> strataSizes,
      Map<String, Long> sampleSizes) {
    if (spec.mode() != EvalSpec.Mode.FAST) {
      throw EvalErrors.badSpec("a stored sample is evaluated in fast mode only");
    }
    checkSchema(
        new Input(
            sample,
            in.label(),
            in.score(),
            in.key(),
            in.features(),
            in.scorer(),
            in.reference(),
            in.driftTargets()),
        spec);
    return measureSample(in, sample, spec, strataSizes, sampleSizes, new Laps());
  }

  private static EvalReport measureSample(
      Input in,
      Dataset<Row> sampled,
      EvalSpec spec,
      Map<String, Long> strataSizes,
      Map<String, Long> sampleSizes,
      Laps t) {
    if (!List.of(sampled.columns()).contains(in.score())) {
      sampled = in.scorer().score(sampled);
    }
    Dataset<Row> rows = sampled.select(in.label(), in.score(), in.key());
    t.lap("sample_plan");
    ScorePass pass = pass(rows, in, spec, List.of(), "the fast-mode sample");
    t.lap("sample_and_score_pass");
    // Areas as in full mode, so the two compare like for like.
    Curves.Binned binned = binned(pass);
    Map<String, ExactAreas.Areas> exactAreas =
        exactAreas(rows, in, !binned.within(ExactAreas.TOLERANCE), List.of(), List.of());
    ExactAreas.Areas exact = settle(binned, exactAreas);
    t.lap("exact_areas");
    Confusion c = confusion(pass);
    BinaryMetrics.Result headline = headline(pass, exact, c, spec);
    Map<String, Double> metrics = new LinkedHashMap<>(headline.asMap());
    long population = strataSizes.values().stream().mapToLong(Long::longValue).sum();
    metrics.put("sample.rows", (double) pass.n);
    metrics.put("sample.population_rows", (double) population);
    Map<String, double[]> ci = Bootstrap.intervals(pass, spec, exact);
    ci.keySet().retainAll(List.of("roc_auc", "average_precision", "log_loss", "accuracy"));
    ci.forEach(
        (k, v) -> {
          metrics.put(k + ".ci_low", v[0]);
          metrics.put(k + ".ci_high", v[1]);
        });
    Map<String, Object> info = new LinkedHashMap<>();
    info.put("rows", pass.n);
    info.put("population_rows", population);
    info.put("stratify_by", spec.sample().stratifyBy());
    info.put("seed", spec.sample().seed());
    info.put("strata_sizes", strataSizes);
    info.put("strata_sample_sizes", sampleSizes);
    info.put("areas", areasInfo(binned, exactAreas, null));
    info.put("timings_s", t.seconds());
    // Fast mode measures the headline metrics only: gates on anything else (slices, baselines,
    // calibration, behaviour) wait for full mode instead of failing for want of a value.
    List<Gate> applicable = new ArrayList<>();
    List<String> skipped = new ArrayList<>();
    for (Gate g : spec.gates()) {
      if (g.baseline() == null && Gates.matchesAny(g, metrics.keySet())) {
        applicable.add(g);
      } else {
        skipped.add(g.name());
      }
    }
    info.put("gates_left_to_full_mode", skipped);
    List<GateResult> gates = Gates.check(applicable, metrics);
    return new EvalReport(
        EvalSpec.Mode.FAST,
        spec.threshold(),
        headline,
        metrics,
        ci,
        c,
        List.of(),
        List.of(),
        List.of(),
        List.of(),
        List.of(),
        List.of(),
        Map.of(),
        Map.of(),
        info,
        gates);
  }

  /** The areas from the shared pass's 1e-5 score bins, with their error bounds. */
  private static Curves.Binned binned(ScorePass pass) {
    return Curves.binned(
        Curves.toDouble(pass.finePos), Curves.toDouble(pass.fineNeg), pass.fineLo, pass.fineHi);
  }

  /** The headline areas: exact when computed, else from the bins (within the tolerance). */
  private static ExactAreas.Areas settle(
      Curves.Binned binned, Map<String, ExactAreas.Areas> exact) {
    ExactAreas.Areas a = exact.get(ExactAreas.ALL);
    return a != null ? a : new ExactAreas.Areas(binned.rocAuc(), binned.averagePrecision());
  }

  /**
   * Exact areas, in one job, of all rows (when {@code all}) and of the slices named by {@code
   * sliceGroups} ({@link SliceMetrics#groupKey(int, String)}); empty when neither is asked for.
   */
  private static Map<String, ExactAreas.Areas> exactAreas(
      Dataset<Row> rows,
      Input in,
      boolean all,
      List<String> sliceColumns,
      List<String> sliceGroups) {
    List<Column> groups = new ArrayList<>();
    if (all) {
      groups.add(lit(ExactAreas.ALL));
    }
    for (int c = 0; c < sliceColumns.size(); c++) {
      String prefix = SliceMetrics.groupKey(c, "");
      if (sliceGroups.stream().anyMatch(g -> g.startsWith(prefix))) {
        groups.add(SliceMetrics.groupColumn(c, sliceColumns.get(c)));
      }
    }
    if (groups.isEmpty()) {
      return Map.of();
    }
    // Each row once per group it belongs to (all rows, its value of each slice column needed).
    Column g = groups.size() == 1 ? groups.get(0) : explode(array(groups.toArray(new Column[0])));
    Dataset<Row> grouped = rows.select(g.as("g"), col(in.score()).as("s"), col(in.label()).as("y"));
    if (!sliceGroups.isEmpty()) {
      List<Object> wanted = new ArrayList<>(sliceGroups);
      if (all) {
        wanted.add(ExactAreas.ALL);
      }
      grouped = grouped.where(col("g").isin(wanted.toArray()));
    }
    return ExactAreas.byGroup(grouped);
  }

  /**
   * How the areas were obtained: the headline bins' error bounds, whether the headline areas were
   * computed exactly, and how many slices' ROC-AUC came from each source (full mode only).
   */
  private static Map<String, Object> areasInfo(
      Curves.Binned binned, Map<String, ExactAreas.Areas> exact, SliceMetrics.Settled slices) {
    boolean all = exact.containsKey(ExactAreas.ALL);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("tolerance", ExactAreas.TOLERANCE);
    m.put("roc_auc_bins_error_bound", binned.rocAucErrorBound());
    m.put("average_precision_bins_error_bound", binned.averagePrecisionErrorBound());
    m.put("headline_computed_exactly", all);
    if (slices != null) {
      m.put("slices_from_bins", slices.fromBins());
      m.put("slices_from_refined_bins", slices.rocAuc().size());
      m.put("slices_computed_exactly", exact.size() - (all ? 1 : 0));
    }
    return m;
  }

  private static Confusion confusion(ScorePass pass) {
    return new Confusion(pass.tp, pass.fp, pass.tn, pass.fn);
  }

  private static BinaryMetrics.Result headline(
      ScorePass pass, ExactAreas.Areas areas, Confusion c, EvalSpec spec) {
    return new BinaryMetrics.Result(
        pass.n,
        pass.positives,
        areas.rocAuc(),
        areas.averagePrecision(),
        pass.sumLogLoss / pass.n,
        c.accuracy(),
        spec.threshold());
  }

  private static EvalReport full(Input in, EvalSpec spec) {
    Laps t = new Laps();
    Dataset<Row> rows = in.predictions();
    ScorePass pass = pass(rows, in, spec, spec.slices().columns(), "the evaluation data");
    t.lap("score_pass");
    double[] pos = Curves.toDouble(pass.finePos);
    double[] neg = Curves.toDouble(pass.fineNeg);
    Curves.Binned binned = binned(pass);
    List<String> sliceColumns = spec.slices().columns();
    SliceMetrics.Settled settled =
        SliceMetrics.settle(rows, in.label(), in.score(), sliceColumns, pass);
    t.lap("slice_refinement");
    Map<String, ExactAreas.Areas> exactAreas =
        exactAreas(rows, in, !binned.within(ExactAreas.TOLERANCE), sliceColumns, settled.exact());
    ExactAreas.Areas exact = settle(binned, exactAreas);
    t.lap("exact_areas");
    Confusion c = confusion(pass);
    BinaryMetrics.Result headline = headline(pass, exact, c, spec);
    Map<String, Double> metrics = new LinkedHashMap<>(headline.asMap());
    metrics.putAll(c.asMap());
    metrics.put("brier", pass.sumBrier / pass.n);
    List<EvalReport.CalibrationBin> calibration = new ArrayList<>();
    double ece = 0;
    int k = spec.calibrationBins();
    for (int b = 0; b < k; b++) {
      long n = pass.calCount[b];
      calibration.add(
          new EvalReport.CalibrationBin(
              (double) b / k,
              (double) (b + 1) / k,
              n,
              n == 0 ? Double.NaN : pass.calScore[b] / n,
              n == 0 ? Double.NaN : (double) pass.calPos[b] / n));
      ece += Math.abs(pass.calPos[b] - pass.calScore[b]) / pass.n;
    }
    metrics.put("ece", ece);
    Curves.Choice f1 = Curves.bestF1(pos, neg);
    Curves.Choice cost =
        Curves.cheapest(pos, neg, spec.costs().falsePositive(), spec.costs().falseNegative());
    metrics.put("threshold.best_f1", f1.threshold());
    metrics.put("threshold.best_f1.f1", f1.confusion().f1());
    metrics.put("threshold.best_f1.precision", f1.confusion().precision());
    metrics.put("threshold.best_f1.recall", f1.confusion().recall());
    metrics.put("threshold.cost", cost.threshold());
    metrics.put("threshold.cost.total_cost", cost.cost());
    metrics.put(
        "threshold.cost.at_threshold",
        spec.costs().falsePositive() * pass.fp + spec.costs().falseNegative() * pass.fn);
    Map<String, double[]> ci = Bootstrap.intervals(pass, spec, exact);
    ci.forEach(
        (name, v) -> {
          metrics.put(name + ".ci_low", v[0]);
          metrics.put(name + ".ci_high", v[1]);
        });

    t.lap("curves_and_intervals");
    List<SliceMetrics.Slice> slices =
        SliceMetrics.named(
            SliceMetrics.fromPass(sliceColumns, pass, settled.rocAuc(), exactAreas),
            in.sliceValueNames());
    t.lap("slices");
    for (SliceMetrics.Slice s : slices) {
      s.asMap().forEach((m, v) -> metrics.put("slice." + s.name() + "." + m, v));
    }
    List<SliceMetrics.Slice> weakest =
        SliceMetrics.weakest(slices, spec.slices().minSupport(), spec.slices().weakest());

    Map<String, Map<String, Double>> baselines = new LinkedHashMap<>();
    baselines.put("zero_rule", Baselines.zeroRule(pass.n, pass.positives));
    baselines.put("prior_random", Baselines.priorRandom(pass.n, pass.positives));
    if (spec.heuristic() != null) {
      baselines.put("heuristic", Baselines.heuristic(rows, in.label(), spec.heuristic()));
    }
    Map<String, Double> model = new LinkedHashMap<>(metrics);
    baselines.forEach(
        (b, m) -> {
          m.forEach((name, v) -> metrics.put("baseline." + b + "." + name, v));
          Baselines.lift(model, m).forEach((name, v) -> metrics.put("lift." + b + "." + name, v));
        });
    t.lap("baselines");

    Map<String, Map<String, Double>> drift = new LinkedHashMap<>();
    if (in.reference() != null) {
      List<String> features =
          spec.drift().features().isEmpty() ? in.features() : spec.drift().features();
      DriftReference stored = in.storedReference();
      Drift.Bins bins;
      Map<String, double[]> ref;
      if (stored != null
          && stored.bins() == spec.drift().bins()
          && stored.featureCuts().keySet().containsAll(features)) {
        Map<String, double[]> cuts = new LinkedHashMap<>();
        ref = new LinkedHashMap<>();
        for (String f : features) {
          cuts.put(f, stored.featureCuts().get(f));
          ref.put(f, stored.featureShares().get(f));
        }
        bins = new Drift.Bins(cuts);
        t.lap("drift_reference_stored");
      } else {
        bins = Drift.fit(in.reference(), features, spec.drift().bins());
        t.lap("drift_fit");
        ref = Drift.shares(in.reference(), bins);
        t.lap("drift_reference_shares");
      }
      Map<String, Dataset<Row>> targets = new LinkedHashMap<>();
      targets.put("evaluation", rows);
      targets.putAll(in.driftTargets());
      targets.forEach(
          (name, data) -> {
            Map<String, Double> psi = Drift.psi(ref, Drift.shares(data, bins));
            drift.put(name, psi);
            String prefix = name.equals("evaluation") ? "drift.psi." : "drift." + name + ".psi.";
            psi.forEach((f, v) -> metrics.put(prefix + f, v));
          });
    }
    t.lap("drift");

    if (in.scorer() != null) {
      Dataset<Row> sample =
          Behaviour.sample(
              rows, in.key(), pass.n, spec.behaviour().sampleRows(), spec.sample().seed());
      metrics.putAll(
          Behaviour.run(
              sample,
              in.key(),
              in.score(),
              spec.threshold(),
              spec.behaviour(),
              in.scorer(),
              spec.sample().seed()));
    }
    t.lap("behaviour");

    List<GateResult> gates = Gates.check(spec.gates(), metrics);
    Map<String, Object> info = new LinkedHashMap<>();
    info.put("rows", pass.n);
    info.put("areas", areasInfo(binned, exactAreas, settled));
    info.put("timings_s", t.seconds());
    info.put("bootstrap_replicates", spec.bootstrap().replicates());
    info.put("confidence", spec.bootstrap().confidence());
    return new EvalReport(
        EvalSpec.Mode.FULL,
        spec.threshold(),
        headline,
        metrics,
        ci,
        c,
        Curves.roc(pos, neg, CURVE_POINTS),
        Curves.pr(pos, neg, CURVE_POINTS),
        Curves.sweep(pos, neg, spec.sweepPoints()),
        calibration,
        slices,
        weakest,
        baselines,
        drift,
        info,
        gates);
  }
}

package dev.plumb.jobs;

import dev.plumb.features.io.JsonFiles;
import dev.plumb.features.io.Laps;
import dev.plumb.features.io.Locations;
import dev.plumb.features.io.Log;
import dev.plumb.jobs.tracking.RunTracker;
import dev.plumb.training.Preflight;
import dev.plumb.training.TrainedModel;
import dev.plumb.training.TrainingSpec;
import dev.plumb.training.TuneSpec;
import dev.plumb.training.XGBoostTrainer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.SparkSession;

/**
 * {@code plumb tune}: a seeded random search over the XGBoost parameters of {@code tune.spec}.
 * Every trial trains on the feature set's train split and is ranked by its validation metric at its
 * best round; the test split is read once, to evaluate the chosen trial's model, and never to
 * choose. Trial 0 is the config's own parameters, so the chosen trial is never worse on validation
 * than the defaults. The chosen trial's model is kept (it was trained on the same rows with the
 * same early stopping as {@code plumb train} would), written to the model store and evaluated.
 *
 * <p>Trials share the cluster by taking turns: each one is an XGBoost4J-Spark barrier job over
 * every task slot ({@code train.num_workers}, auto = all of them), as {@code plumb train}; running
 * trials side by side would split the slots between them, and a barrier job that cannot get all its
 * slots waits. The median stopping rule ({@code pruning.after_rounds}) stops a trial whose
 * validation metric after that many rounds is worse than the median of the completed trials' at the
 * same round.
 */
final class TuneStage {

  /** Settings a search may not change: where and how training runs, not what it learns. */
  static final Set<String> NOT_TUNABLE =
      Set.of(
          "num_workers",
          "nthread",
          "device",
          "seed",
          "feature_set_version",
          "model_format",
          "model_dir",
          "objective",
          "eval_metric",
          "tracker_timeout_seconds",
          "executor_wait_seconds");

  /** How a trial ended. */
  enum State {
    COMPLETE,
    PRUNED,
    FAILED
  }

  /**
   * One trial.
   *
   * @param number 0 for the config's own parameters, then 1, 2, ...
   * @param params the searched parameters as the trial set them
   * @param state how it ended
   * @param value its validation metric at its best round (NaN when failed)
   * @param bestIteration its best round (0-based)
   * @param rounds rounds it trained
   * @param seconds its wall time
   * @param runId its MLflow child run ("" when not tracking)
   * @param error why it failed, or ""
   */
  record Trial(
      int number,
      Map<String, Object> params,
      State state,
      double value,
      int bestIteration,
      int rounds,
      double seconds,
      String runId,
      String error) {

    Map<String, Object> toJson() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("trial", number);
      m.put("params", params);
      m.put("state", state.toString().toLowerCase(java.util.Locale.ROOT));
      m.put("validation_value", Double.isNaN(value) ? null : value);
      m.put("best_iteration", bestIteration);
      m.put("rounds", rounds);
      m.put("seconds", seconds);
      m.put("run_id", runId);
      if (!error.isEmpty()) {
        m.put("error", error);
      }
      return m;
    }
  }

  /**
   * What the search did.
   *
   * @param metric the validation metric trials were ranked by
   * @param trials every trial, in order
   * @param best the chosen trial
   * @param model the chosen trial's model, as stored
   * @param evaluation its evaluation on the test split
   * @param report the JSON report
   */
  record Result(
      String metric,
      List<Trial> trials,
      Trial best,
      TrainStage.Result model,
      EvaluateStage.Result evaluation,
      String report) {}

  private TuneStage() {}

  static Result run(SparkSession spark, PlumbConfig config, RunTracker parent) {
    TuneSpec tune = config.tuneSpec();
    PlumbConfig base =
        tune.metric().isEmpty() ? config : config.with("train.eval_metric", tune.metric());
    String metric = base.string("train.eval_metric");
    boolean higher = XGBoostTrainer.higherIsBetter(metric);
    for (TuneSpec.Param p : tune.space()) {
      if (NOT_TUNABLE.contains(p.name())) {
        throw JobErrors.usage(
            "tune.spec: '"
                + p.name()
                + "' cannot be searched (it sets where or how training runs, not what it learns);"
                + " remove it from space");
      }
    }
    // Every name of the space must be a training key or an XGBoost parameter: checked on a draw
    // before any training starts.
    withParams(base, tune.sample(1)).trainingSpec();
    TrainStage.Inputs in = TrainStage.inputs(spark, base);
    long deadline = System.nanoTime() + tune.wallClock().toNanos();
    List<Trial> trials = new ArrayList<>();
    List<Double> rungValues = new ArrayList<>();
    Trial best = null;
    TrainedModel bestModel = null;
    TrainingSpec bestSpec = null;
    for (int t = 0; t < tune.trials(); t++) {
      if (t > 0 && System.nanoTime() > deadline) {
        Log.info(
            "tune: the wall-clock budget ("
                + tune.wallClock().toMinutes()
                + " min) is spent after "
                + t
                + " trials; no new trial starts");
        break;
      }
      Map<String, Object> params = t == 0 ? defaults(base, tune) : tune.sample(t);
      long start = System.nanoTime();
      RunTracker child = parent.child();
      Map<String, String> tags = new LinkedHashMap<>();
      tags.put("plumb.job", "tune-trial");
      tags.put("plumb.tune.trial", String.valueOf(t));
      String runId = child.start(t == 0 ? "trial-0-defaults" : "trial-" + t, tags);
      boolean ok = false;
      try {
        Map<String, String> logged = new LinkedHashMap<>();
        params.forEach((k, v) -> logged.put(k, String.valueOf(v)));
        logged.put("tune.trial", String.valueOf(t));
        child.logParams(logged);
        TrainingSpec spec = Preflight.check(withParams(base, params).trainingSpec(), in.facts());
        int rung = tune.pruneAfterRounds();
        if (rung > 0 && rung < spec.numRound() && rungValues.size() >= tune.pruneMinTrials()) {
          TrainingSpec probeSpec =
              Preflight.check(
                  withParams(base, params).with("train.num_round", rung).trainingSpec(),
                  in.facts());
          TrainedModel probe = TrainStage.fit(spark, in, probeSpec);
          double v = bestUpTo(probe, metric, rung, higher);
          double median = median(rungValues);
          if (higher ? v < median : v > median) {
            Log.info(
                String.format(
                    "tune: trial %d pruned after %d rounds: validation %s %.6f is worse than the"
                        + " median %.6f of %d completed trials",
                    t, rung, metric, v, median, rungValues.size()));
            probe.history().forEach(child::logMetricHistory);
            child.logMetrics(Map.of("validation." + metric, v), 0);
            child.setTags(Map.of("plumb.tune.state", "pruned"));
            trials.add(
                new Trial(
                    t,
                    params,
                    State.PRUNED,
                    v,
                    probe.bestIteration(),
                    probe.roundsTrained(),
                    seconds(start),
                    runId,
                    ""));
            ok = true;
            continue;
          }
        }
        TrainedModel model = TrainStage.fit(spark, in, spec);
        double value = model.history().get("validation-" + metric)[model.bestIteration()];
        rungValues.add(rung > 0 ? bestUpTo(model, metric, rung, higher) : value);
        model.history().forEach(child::logMetricHistory);
        child.logMetrics(
            Map.of(
                "validation." + metric,
                value,
                "train.best_iteration",
                (double) model.bestIteration(),
                "trial.seconds",
                seconds(start)),
            0);
        child.setTags(Map.of("plumb.tune.state", "complete"));
        Trial trial =
            new Trial(
                t,
                params,
                State.COMPLETE,
                value,
                model.bestIteration(),
                model.roundsTrained(),
                seconds(start),
                runId,
                "");
        trials.add(trial);
        Log.info(
            String.format(
                "tune: trial %d %s -> validation %s %.6f at round %d",
                t, params, metric, value, model.bestIteration()));
        // Ties go to the earlier trial, so the defaults win a tie.
        if (best == null || (higher ? value > best.value() : value < best.value())) {
          best = trial;
          bestModel = model;
          bestSpec = spec;
        }
        ok = true;
      } catch (RuntimeException e) {
        if (e instanceof JobErrors.UsageException || t == 0) {
          throw e; // a bad space or config fails the job, as does the defaults' own trial
        }
        Log.warn("tune: trial " + t + " " + params + " failed: " + e.getMessage());
        child.setTags(Map.of("plumb.tune.state", "failed", "plumb.tune.error", e.getMessage()));
        trials.add(
            new Trial(
                t, params, State.FAILED, Double.NaN, -1, 0, seconds(start), runId, e.getMessage()));
      } finally {
        child.finish(ok);
      }
    }
    TrainStage.Result saved = TrainStage.save(spark, base, in, bestSpec, bestModel, new Laps());
    EvaluateStage.Result evaluation =
        EvaluateStage.evaluate(spark, base, saved.modelDir(), null, saved.modelDir());
    String report = Locations.join(base.workDir(), "reports", "tune-report.json");
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("metric", "validation " + metric);
    json.put("higher_is_better", higher);
    json.put("chosen_on", "the validation split only; the test split evaluates the chosen model");
    json.put("best_trial", best.number());
    json.put("best_params", best.params());
    json.put("best_validation_value", best.value());
    json.put("defaults_validation_value", trials.get(0).value());
    json.put("model", saved.modelDir());
    json.put("test_metrics", evaluation.evaluation().metrics());
    json.put("trials", trials.stream().map(Trial::toJson).toList());
    JsonFiles.write(report, json);
    Log.info(
        String.format(
            "tune: %d trials (%d pruned, %d failed); best trial %d %s with validation %s %.6f"
                + " (defaults %.6f); test ROC-AUC %.4f",
            trials.size(),
            trials.stream().filter(x -> x.state() == State.PRUNED).count(),
            trials.stream().filter(x -> x.state() == State.FAILED).count(),
            best.number(),
            best.params(),
            metric,
            best.value(),
            trials.get(0).value(),
            evaluation.metrics().rocAuc()));
    return new Result(metric, trials, best, saved, evaluation, report);
  }

  /** The config with a trial's parameters set: {@code train.<name>} keys, else XGBoost's own. */
  static PlumbConfig withParams(PlumbConfig config, Map<String, Object> params) {
    PlumbConfig out = config;
    for (Map.Entry<String, Object> e : params.entrySet()) {
      out = out.with(key(e.getKey()), e.getValue());
    }
    return out;
  }

  /** The config key a searched parameter sets. */
  static String key(String name) {
    return ConfigKeys.find("train." + name) != null
        ? "train." + name
        : dev.plumb.training.XGBoostPassThrough.PREFIX + name;
  }

  /** Trial 0: the config's own values of the searched parameters ("default" where unset). */
  private static Map<String, Object> defaults(PlumbConfig config, TuneSpec tune) {
    Map<String, Object> out = new LinkedHashMap<>();
    Map<String, String> passThrough = config.xgboostParams();
    for (TuneSpec.Param p : tune.space()) {
      String key = key(p.name());
      if (ConfigKeys.find(key) != null) {
        out.put(p.name(), config.redacted().get(key));
      } else if (passThrough.containsKey(p.name())) {
        out.put(p.name(), passThrough.get(p.name()));
      }
    }
    return out;
  }

  /** The best validation value within the first {@code rounds} rounds. */
  private static double bestUpTo(TrainedModel model, String metric, int rounds, boolean higher) {
    float[] h = model.history().get("validation-" + metric);
    double best = h[0];
    for (int i = 1; i < Math.min(rounds, h.length); i++) {
      best = higher ? Math.max(best, h[i]) : Math.min(best, h[i]);
    }
    return best;
  }

  private static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    sorted.sort(Double::compare);
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }

  private static double seconds(long start) {
    return (System.nanoTime() - start) / 1e9;
  }
}

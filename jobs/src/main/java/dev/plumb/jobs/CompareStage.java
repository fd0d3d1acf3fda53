package dev.plumb.jobs;

import static org.apache.spark.sql.functions.col;

import dev.plumb.evaluation.EvalSpec;
import dev.plumb.evaluation.Gate;
import dev.plumb.evaluation.PairedMetrics;
import dev.plumb.features.Splits;
import dev.plumb.features.io.JsonFiles;
import dev.plumb.features.io.Locations;
import dev.plumb.features.io.Log;
import dev.plumb.features.io.Storage;
import dev.plumb.features.io.Storages;
import dev.plumb.features.store.FeatureStore;
import dev.plumb.jobs.tracking.MlflowTracker;
import dev.plumb.jobs.tracking.RunTracker;
import dev.plumb.training.ModelFiles;
import dev.plumb.training.ModelMetadata;
import dev.plumb.training.ModelStore;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;

/**
 * {@code plumb compare} and {@code plumb promote}: a candidate model against the champion (the
 * model behind {@code models:/<tracking.register_model>@<compare.alias>}, or {@code
 * compare.champion}) on the same test rows. Both models score the candidate's feature-set test
 * split in one pass (a champion built on another feature-set version scores its own stored rows of
 * the same keys, joined on the key); the candidate's full evaluation and gates reuse those scores,
 * and {@link PairedMetrics} gives the paired bootstrap interval of each metric's difference.
 * Promotion needs the candidate's gates to pass and the difference in {@code compare.metric} to be
 * significant in its favour; {@code --force} overrides both and records its reason in the registry.
 */
final class CompareStage {

  /** The champion's score column in the compared rows. */
  static final String CHAMPION_SCORE = "champion_score";

  /**
   * What the comparison found.
   *
   * @param candidate the candidate's reference
   * @param champion the champion's reference, or "" when there is none yet
   * @param candidateDir the candidate's model folder
   * @param rows rows both models scored
   * @param differences candidate minus champion, per metric (empty without a champion)
   * @param gated the metrics the evaluation spec's gates name
   * @param metric the metric that decides
   * @param evaluation the candidate's evaluation on those rows (its gates)
   * @param wins true when there is no champion or the difference in {@code metric} is significantly
   *     in the candidate's favour
   * @param report the JSON report
   */
  record Result(
      String candidate,
      String champion,
      String candidateDir,
      long rows,
      Map<String, PairedMetrics.Difference> differences,
      Set<String> gated,
      String metric,
      EvaluateStage.Result evaluation,
      boolean wins,
      String report) {

    boolean gatesPassed() {
      return evaluation.evaluation().passed();
    }

    /** Why the candidate should or should not be promoted, in one line. */
    String verdict() {
      if (!gatesPassed()) {
        return "the candidate fails its gates "
            + evaluation.evaluation().failedGates().stream().map(g -> g.name()).toList();
      }
      if (champion.isEmpty()) {
        return "there is no champion yet and the candidate passes its gates";
      }
      PairedMetrics.Difference d = differences.get(metric);
      return String.format(
          "%s difference %+.6f, interval [%+.6f, %+.6f]: %s",
          metric,
          d.difference(),
          d.low(),
          d.high(),
          wins ? "significantly better" : "not significantly better");
    }
  }

  private CompareStage() {}

  /** The registered model promote works on: {@code tracking.register_model}. */
  static String registeredName(PlumbConfig config) {
    String name = config.string("tracking.register_model");
    if (name.isEmpty()) {
      throw JobErrors.usage(
          "compare and promote work on a registered model: set tracking.register_model to its"
              + " name (the champion is models:/<name>@"
              + config.string("compare.alias")
              + ")");
    }
    return name;
  }

  static Result run(
      SparkSession spark, PlumbConfig config, RunTracker tracker, String candidateRef) {
    Storage storage = Storages.of(spark);
    String championRef = config.string("compare.champion");
    if (championRef.isEmpty()) {
      String name = registeredName(config);
      String alias = config.string("compare.alias");
      if (!(tracker instanceof MlflowTracker mlflow)) {
        throw JobErrors.usage(
            "the champion is models:/"
                + name
                + "@"
                + alias
                + ": compare with tracking on, or name the champion's folder in"
                + " compare.champion");
      }
      championRef =
          mlflow.aliasVersion(name, alias).isEmpty() ? "" : "models:/" + name + "@" + alias;
    }
    String candidateDir = ModelSource.resolve(candidateRef, config, tracker, storage);
    String championDir =
        championRef.isEmpty() ? "" : ModelSource.resolve(championRef, config, tracker, storage);
    ModelStore candidates = new ModelStore(storage, Locations.parent(candidateDir));
    ModelMetadata cand = candidates.metadata(candidateDir);
    EvalSpec spec = config.evalSpec();
    Dataset<Row> test = testRows(spark, config, cand);
    Dataset<Row> scored =
        ModelFiles.score(
            candidates.booster(candidateDir), cand.featureNames(), test, cand.iterationEnd());
    ModelMetadata champ = null;
    if (!championDir.isEmpty()) {
      ModelStore champions = new ModelStore(storage, Locations.parent(championDir));
      champ = champions.metadata(championDir);
      byte[] booster = champions.booster(championDir);
      if (champ.featureSetVersion().equals(cand.featureSetVersion())) {
        // The same rows: the champion scores them in the same pass.
        String kept = "candidate_score";
        scored =
            ModelFiles.score(
                    booster,
                    champ.featureNames(),
                    scored.withColumnRenamed(ModelFiles.SCORE, kept),
                    champ.iterationEnd())
                .withColumnRenamed(ModelFiles.SCORE, CHAMPION_SCORE)
                .withColumnRenamed(kept, ModelFiles.SCORE);
      } else {
        String key = config.string("features.key");
        Dataset<Row> theirs =
            ModelFiles.score(
                    booster,
                    champ.featureNames(),
                    testRows(spark, config, champ),
                    champ.iterationEnd())
                .select(col(key), col(ModelFiles.SCORE).as(CHAMPION_SCORE));
        scored = scored.join(theirs, key);
      }
    }
    scored = scored.persist(StorageLevel.MEMORY_AND_DISK());
    try {
      String reportDir = Locations.join(config.workDir(), "reports", "compare");
      EvaluateStage.Result evaluation =
          EvaluateStage.evaluate(spark, config, candidateDir, scored, reportDir);
      Map<String, PairedMetrics.Difference> differences = new LinkedHashMap<>();
      long rows = evaluation.metrics().count();
      if (champ != null) {
        PairedMetrics.Cells cells =
            PairedMetrics.cells(scored, ModelFiles.SCORE, CHAMPION_SCORE, cand.label());
        rows = cells.rows();
        differences =
            PairedMetrics.compare(
                cells,
                threshold(cand),
                threshold(champ),
                spec.calibrationBins(),
                Math.max(spec.bootstrap().replicates(), MIN_REPLICATES),
                spec.bootstrap().confidence(),
                spec.bootstrap().seed());
      }
      Set<String> gated = new TreeSet<>();
      for (Gate g : spec.gates()) {
        if (PairedMetrics.NAMES.contains(g.metric())) {
          gated.add(g.metric());
        }
      }
      String metric = config.string("compare.metric");
      boolean wins = champ == null || differences.get(metric).significantlyBetter();
      String report = Locations.join(reportDir, "compare-report.json");
      Map<String, Object> json = new LinkedHashMap<>();
      json.put("candidate", candidateRef);
      json.put("candidate_model", candidateDir);
      json.put("champion", championRef);
      json.put("champion_model", championDir);
      json.put("rows", rows);
      json.put("split", Splits.TEST + " of the candidate's feature set");
      json.put("metric", metric);
      json.put("gated_metrics", gated);
      json.put(
          "bootstrap",
          Map.of(
              "kind", "paired Poisson bootstrap, percentile interval of candidate - champion",
              "replicates", Math.max(spec.bootstrap().replicates(), MIN_REPLICATES),
              "confidence", spec.bootstrap().confidence(),
              "seed", spec.bootstrap().seed()));
      Map<String, Object> diffs = new LinkedHashMap<>();
      differences.forEach(
          (k, d) -> {
            Map<String, Object> m = new LinkedHashMap<>(d.toJson());
            m.put("gated", gated.contains(k));
            diffs.put(k, m);
          });
      json.put("differences", diffs);
      json.put("candidate_gates_passed", evaluation.evaluation().passed());
      json.put("candidate_evaluation", evaluation.report());
      json.put("wins", wins);
      JsonFiles.write(report, json);
      Result result =
          new Result(
              candidateRef,
              championRef,
              candidateDir,
              rows,
              differences,
              gated,
              metric,
              evaluation,
              wins,
              report);
      Log.info(
          "compare: "
              + candidateRef
              + " vs "
              + (championRef.isEmpty() ? "no champion" : championRef)
              + ": "
              + result.verdict());
      return result;
    } finally {
      scored.unpersist();
    }
  }

  /** Replicates of the paired bootstrap, at least: an interval needs enough of them. */
  static final int MIN_REPLICATES = 200;

  private static double threshold(ModelMetadata meta) {
    return Double.isNaN(meta.threshold()) ? 0.5 : meta.threshold();
  }

  /** The test split of the feature set a model was trained on (it must be in the store). */
  private static Dataset<Row> testRows(SparkSession spark, PlumbConfig config, ModelMetadata meta) {
    String dir = FeaturesStage.resolve(config, meta.featureSetVersion());
    return spark
        .read()
        .format("delta")
        .load(FeatureStore.data(dir))
        .filter(col(Splits.COLUMN).equalTo(Splits.TEST));
  }

  /**
   * {@code plumb promote}: moves the alias to the candidate when it wins (or when forced, with the
   * reason recorded on the version); returns the version the alias now points at, or "" when the
   * candidate was not promoted.
   */
  static String promote(
      PlumbConfig config, MlflowTracker mlflow, Result result, String forceReason) {
    String name = registeredName(config);
    String alias = config.string("compare.alias");
    boolean promote = result.gatesPassed() && result.wins();
    if (!promote && forceReason.isEmpty()) {
      return "";
    }
    String version = candidateVersion(mlflow, name, result.candidate());
    mlflow.setAlias(name, alias, version);
    Map<String, String> tags = new LinkedHashMap<>();
    tags.put("plumb.promoted_to", alias);
    tags.put("plumb.promotion", promote ? "won" : "forced");
    tags.put("plumb.promotion_verdict", result.verdict());
    if (!promote) {
      tags.put("plumb.force_reason", forceReason);
    }
    if (!result.champion().isEmpty()) {
      tags.put("plumb.replaced", result.champion());
    }
    mlflow.setModelVersionTags(name, version, tags);
    Log.info(
        "promote: models:/"
            + name
            + "@"
            + alias
            + " -> version "
            + version
            + (promote ? "" : " (forced: " + forceReason + ")"));
    return version;
  }

  /** The registry version of the candidate: registered from its run when it is not yet. */
  private static String candidateVersion(MlflowTracker mlflow, String name, String ref) {
    if (ref.startsWith("models:/")) {
      String rest = ref.substring("models:/".length());
      int at = rest.lastIndexOf('@');
      int slash = rest.lastIndexOf('/');
      String model = at > 0 ? rest.substring(0, at) : slash > 0 ? rest.substring(0, slash) : rest;
      if (!model.equals(name)) {
        throw JobErrors.usage(
            "Cannot promote "
                + ref
                + ": it is a version of '"
                + model
                + "', not of '"
                + name
                + "' (tracking.register_model)");
      }
      return at > 0 ? mlflow.aliasVersion(name, rest.substring(at + 1)) : rest.substring(slash + 1);
    }
    if (ref.startsWith("runs:/")) {
      String rest = ref.substring("runs:/".length());
      int slash = rest.indexOf('/');
      return mlflow.registerRunModel(rest.substring(0, slash), rest.substring(slash + 1), name);
    }
    throw JobErrors.usage(
        "Cannot promote the model folder "
            + ref
            + ": the registry needs a logged model; pass runs:/RUN_ID/model or"
            + " models:/NAME/VERSION");
  }
}

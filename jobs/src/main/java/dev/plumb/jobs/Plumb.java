package dev.plumb.jobs;

import dev.plumb.features.io.JsonFiles;
import dev.plumb.features.io.Locations;
import dev.plumb.features.io.Log;
import dev.plumb.features.io.PlumbException;
import dev.plumb.features.io.Secrets;
import dev.plumb.features.io.Storages;
import dev.plumb.features.store.FeatureStore;
import dev.plumb.jobs.tracking.MlflowTracker;
import dev.plumb.jobs.tracking.NoTracking;
import dev.plumb.jobs.tracking.RunTracker;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;

/**
 * The command line: {@code plumb <job> [--conf FILE] [--set key=value]... [--tracking mlflow|none]
 * [--force]}. Exit codes: 0 done, 1 the job failed (or, for {@code monitor}, a monitor gate
 * failed), 2 bad usage or config.
 */
public final class Plumb {

  static final List<String> JOBS =
      List.of(
          "demo",
          "ingest",
          "features",
          "train",
          "evaluate",
          "pipeline",
          "tune",
          "compare",
          "promote",
          "reproduce",
          "score",
          "monitor",
          "keys",
          "config");

  private static final String USAGE =
      String.join(
          "\n",
          "Usage: plumb <job> [--conf FILE] [--set key=value]... [--tracking mlflow|none]"
              + " [--force]",
          "",
          "Jobs:",
          "  demo       write the sample dataset (if missing) and run the whole pipeline on it",
          "  ingest     check the input against the data contract; clean + quarantine Delta tables",
          "  features   build (or reuse) the versioned feature set from the clean table;"
              + " 'features list' lists the stored versions; 'features apply --version V --input"
              + " RAW --output OUT' applies a stored version's fitted transform to new data",
          "  train      train XGBoost on the feature set's train split, early-stopping on"
              + " validation",
          "  evaluate   score the test split once; fast or full evaluation, JSON + HTML report, gates",
          "  pipeline   ingest, features, train and evaluate as one tracked run",
          "  tune       search XGBoost parameters (tune.spec) on the validation split; trials are"
              + " child runs; the best trial's model is kept and evaluated once on test",
          "  compare    --model REF: the candidate vs the champion (models:/NAME@champion) on the"
              + " same test rows: paired bootstrap intervals of each metric's difference",
          "  promote    --model REF: compare, then move the champion alias to the candidate if its"
              + " gates pass and it is significantly better (--force --reason TEXT overrides)",
          "  reproduce  runs:/ID: re-execute a tracked run from its logged config after checking"
              + " the input's data fingerprint; reports whether model bytes and metrics are"
              + " identical (exit 1 when not)",
          "  score      score raw rows with a model (--model runs:/ID/model | models:/NAME@ALIAS |"
              + " models:/NAME/VERSION | a model folder) into a Delta table of predictions",
          "  monitor    measure new raw rows (--input RAW) against a model's training reference"
              + " (--model REF): drift per feature and of the score, nulls, unseen categories,"
              + " contract breaches; gates from monitor.spec; JSON, HTML and Prometheus reports;"
              + " exit 1 when a gate fails",
          "  keys       list every config key with its default and meaning",
          "  config     print the resolved config (defaults < file < --set; secrets redacted),"
              + " checked as a job would check it; nothing runs",
          "",
          "Options:",
          "  --conf FILE          YAML config (see conf/local.yaml); default: built-in defaults",
          "  --set key=value      override one key (repeatable); wins over the file",
          "  --tracking MODE      mlflow (default; needs MLFLOW_TRACKING_URI or tracking.uri) or"
              + " none",
          "  --force              rebuild the feature set even when its version is stored",
          "  --version V          features apply: the stored feature-set version to apply",
          "  --input PATH         features apply, score, monitor: raw data (a Delta table or a"
              + " Parquet folder)",
          "  --output PATH        features apply: where the feature rows go (a Delta table);"
              + " score: the predictions' Delta table (quarantine: PATH_quarantine)",
          "  --model REF          score, monitor: runs:/ID/model, models:/NAME@ALIAS,"
              + " models:/NAME/VERSION or a model folder",
          "  --contributions K    score: also the top K SHAP contributions per row (default 0)",
          "  --champion REF       compare, promote: the model to beat (default"
              + " models:/<tracking.register_model>@<compare.alias>)",
          "  --reason TEXT        promote --force: why, recorded on the registry version",
          "  --help               this text");

  private Plumb() {}

  /** Entry point for {@code java -cp} and {@code spark-submit}. */
  public static void main(String[] args) {
    // Platform mode: inside a session Plumb did not create (a Databricks JAR task) or as the driver
    // of a cluster-mode spark-submit, the JVM is the platform's. Plumb installs no JVM-wide
    // handlers, stops no session it did not start, and returns (or throws, so the platform marks
    // the run failed) instead of calling System.exit.
    boolean hosted =
        SparkSession.getActiveSession().isDefined() || SparkSession.getDefaultSession().isDefined();
    boolean platform = hosted || clusterDeployMode();
    if (!platform) {
      handleSignals(args.length == 0 ? "" : args[0]);
    }
    int code = run(args, System.getenv(), System.out, System.err);
    if (platform) {
      if (code != 0) {
        throw new PlatformRunFailed(args.length == 0 ? "" : args[0], code);
      }
      return;
    }
    if (SparkSession.getDefaultSession().isDefined()) {
      SparkSession.getDefaultSession().get().stop();
    }
    FINISHED.set(true);
    System.exit(code);
  }

  /** {@code plumb score}: one tracked run with the model, input and output as its lineage. */
  private static int score(
      Invocation inv, PlumbConfig config, RunTracker tracker, PrintStream out) {
    String ref = inv.options().get("--model");
    String input = Locations.qualify(inv.options().get("--input"));
    String output = Locations.qualify(inv.options().get("--output"));
    int topK = Integer.parseInt(inv.options().getOrDefault("--contributions", "0"));
    SparkSession spark = SparkSessions.create(config, "plumb-score");
    Log.showProgress();
    tracker.retryFor(java.time.Duration.ofSeconds(config.integer("tracking.retry_budget_seconds")));
    String runId = tracker.start("plumb-score", Map.of("plumb.job", "score"));
    boolean ok = false;
    try {
      String modelDir = ModelSource.resolve(ref, config, tracker, Storages.of(spark));
      ScoreStage.Result r = ScoreStage.run(spark, config, tracker, modelDir, input, output, topK);
      Map<String, String> params = new java.util.LinkedHashMap<>();
      params.put("score.model", ref);
      params.put("score.input", input);
      params.put("score.output", output);
      params.put("score.contributions", String.valueOf(topK));
      params.put("score.threshold", String.valueOf(r.threshold()));
      tracker.logParams(params);
      Map<String, Double> metrics = new java.util.LinkedHashMap<>();
      metrics.put("score.rows_read", (double) r.rowsRead());
      metrics.put("score.rows_scored", (double) r.rowsScored());
      metrics.put("score.rows_quarantined", (double) r.rowsQuarantined());
      r.unseen().forEach((k, v) -> metrics.put("score.unseen." + k, (double) v));
      r.outsideRange().forEach((k, v) -> metrics.put("score.outside_range." + k, (double) v));
      tracker.logMetrics(metrics, 0);
      tracker.setTags(Map.of("plumb.model", r.modelDir(), "plumb.model_ref", ref));
      tracker.logInputs(
          List.of(
              new RunTracker.DatasetInput(
                  "raw",
                  dev.plumb.features.ingest.DataFingerprint.sha256(input).substring(0, 16),
                  "path",
                  "{\"uri\": \"" + input.replace("\"", "") + "\"}",
                  "scoring",
                  "")));
      tracker.logArtifact(r.report(), "score");
      ok = true;
      out.printf(
          "score: %,d rows read = %,d scored + %,d quarantined %s -> %s (threshold %.4f)%n",
          r.rowsRead(),
          r.rowsScored(),
          r.rowsQuarantined(),
          r.quarantinedByReason(),
          r.output(),
          r.threshold());
      if (!runId.isEmpty()) {
        out.println("run: " + tracker.runUrl());
      }
      return 0;
    } finally {
      tracker.finish(ok);
    }
  }

  /**
   * {@code plumb compare} and {@code plumb promote}: one tracked run; promote exits 1 when the
   * candidate does not win (the alias stays where it was).
   */
  private static int compare(
      Invocation inv, PlumbConfig config, RunTracker tracker, PrintStream out) {
    String candidate = inv.options().get("--model");
    boolean promote = inv.job().equals("promote");
    String force = inv.options().getOrDefault("--reason", "");
    if (promote && !(tracker instanceof MlflowTracker)) {
      throw JobErrors.usage("promote moves a registry alias: run it with tracking on (MLflow)");
    }
    SparkSession spark = SparkSessions.create(config, "plumb-" + inv.job());
    Log.showProgress();
    tracker.retryFor(Duration.ofSeconds(config.integer("tracking.retry_budget_seconds")));
    String runId = tracker.start("plumb-" + inv.job(), Map.of("plumb.job", inv.job()));
    boolean ok = false;
    try {
      CompareStage.Result r = CompareStage.run(spark, config, tracker, candidate);
      tracker.logParams(
          Map.of(
              "compare.candidate", candidate,
              "compare.champion", r.champion(),
              "compare.metric", r.metric()));
      Map<String, Double> metrics = new java.util.LinkedHashMap<>(r.evaluation().trackedMetrics());
      r.differences()
          .forEach(
              (k, d) -> {
                metrics.put("compare." + k + ".difference", d.difference());
                metrics.put("compare." + k + ".low", d.low());
                metrics.put("compare." + k + ".high", d.high());
              });
      metrics.put("compare.rows", (double) r.rows());
      tracker.logMetrics(metrics, 0);
      tracker.setTags(
          Map.of(
              "plumb.compare.wins", String.valueOf(r.wins()),
              "plumb.gates_passed", String.valueOf(r.gatesPassed())));
      tracker.logArtifact(r.report(), "compare");
      out.printf(
          "%s: %s vs %s on %,d test rows: %s%n",
          inv.job(),
          candidate,
          r.champion().isEmpty() ? "no champion" : r.champion(),
          r.rows(),
          r.verdict());
      r.differences()
          .forEach(
              (k, d) ->
                  out.printf(
                      "  %-18s candidate %.6f  champion %.6f  difference %+.6f  [%+.6f, %+.6f]%s%n",
                      k,
                      d.a(),
                      d.b(),
                      d.difference(),
                      d.low(),
                      d.high(),
                      r.gated().contains(k) ? "  (gated)" : ""));
      out.println("report: " + r.report());
      int code = 0;
      if (promote) {
        String version = CompareStage.promote(config, (MlflowTracker) tracker, r, force);
        String name = CompareStage.registeredName(config) + "@" + config.string("compare.alias");
        if (version.isEmpty()) {
          out.println(
              "promote: NOT promoted (" + r.verdict() + "); models:/" + name + " unchanged");
          code = 1;
        } else {
          tracker.setTags(Map.of("plumb.promoted_version", version));
          out.println(
              "promote: models:/"
                  + name
                  + " -> version "
                  + version
                  + (force.isEmpty() || (r.wins() && r.gatesPassed()) ? "" : " (forced)"));
        }
      }
      if (!runId.isEmpty()) {
        out.println("run: " + tracker.runUrl());
      }
      ok = true;
      return code;
    } finally {
      tracker.finish(ok);
    }
  }

  /**
   * {@code plumb monitor}: one tracked run with the model and input as params, every monitor
   * metric, the verdict as a tag and the three reports as artifacts; exit code 1 when a gate
   * failed.
   */
  private static int monitor(
      Invocation inv, PlumbConfig config, RunTracker tracker, PrintStream out, PrintStream err) {
    String ref = inv.options().get("--model");
    String input = Locations.qualify(inv.options().get("--input"));
    SparkSession spark = SparkSessions.create(config, "plumb-monitor");
    Log.showProgress();
    tracker.retryFor(java.time.Duration.ofSeconds(config.integer("tracking.retry_budget_seconds")));
    String runId = tracker.start("plumb-monitor", Map.of("plumb.job", "monitor"));
    boolean ok = false;
    try {
      String modelDir = ModelSource.resolve(ref, config, tracker, Storages.of(spark));
      MonitorStage.Result r = MonitorStage.run(spark, config, modelDir, ref, input);
      Map<String, String> params = new java.util.LinkedHashMap<>();
      params.put("monitor.model", ref);
      params.put("monitor.input", input);
      params.put("monitor.spec", config.string("monitor.spec"));
      tracker.logParams(params);
      tracker.logMetrics(r.metrics(), 0);
      tracker.setTags(
          Map.of(
              "plumb.model",
              r.modelDir(),
              "plumb.model_ref",
              ref,
              "plumb.monitor_passed",
              String.valueOf(r.passed())));
      for (String artifact : List.of(r.report(), r.html(), r.prometheus())) {
        tracker.logArtifact(artifact, "monitor");
      }
      ok = true;
      out.printf(
          "monitor: %,d rows (%,d scored) against %s: gates %s%n",
          r.rows(), r.rowsScored(), r.modelName(), r.passed() ? "passed" : "FAILED");
      for (dev.plumb.evaluation.GateResult g : r.gates()) {
        if (!g.passed()) {
          out.println("  gate " + g.name() + " FAILED: " + g.detail());
        }
      }
      for (MonitorStage.Flagged f : r.flagged()) {
        out.println(
            "  flagged feature "
                + f.feature()
                + " (reads "
                + String.join(", ", f.inputs())
                + "; moved: "
                + (f.movedInputs().isEmpty()
                    ? "none on its own"
                    : String.join(", ", f.movedInputs()))
                + ")");
      }
      if (!r.flagged().isEmpty()) {
        out.println("  moved source columns: " + String.join(", ", r.movedColumns()));
      }
      out.println("report: " + r.report());
      out.println("html: " + r.html());
      out.println("prometheus: " + r.prometheus());
      if (Boolean.FALSE.equals(r.pushed())) {
        err.println(
            "plumb monitor: warning: the gauges were not pushed to monitor.pushgateway_url (see"
                + " the log); the files above hold them");
      }
      if (!runId.isEmpty()) {
        out.println("run: " + tracker.runUrl());
      }
      return r.passed() ? 0 : 1;
    } finally {
      tracker.finish(ok);
    }
  }

  /** {@code plumb reproduce runs:/ID}: exit 0 when model bytes and metrics are identical. */
  private static int reproduce(
      Invocation inv,
      PlumbConfig config,
      RunTracker tracker,
      Map<String, String> env,
      PrintStream out) {
    if (!(tracker instanceof MlflowTracker current)) {
      throw JobErrors.usage("reproduce reads the run from MLflow: run it with tracking on");
    }
    String id = ReproduceStage.runId(inv.options().get("--run"));
    MlflowTracker.LoggedRun original = current.loggedRun(id);
    PlumbConfig logged = ReproduceStage.loggedConfig(current, id, config, inv.sets(), env);
    try (RunTracker again = tracker(logged, env)) {
      SparkSession spark = SparkSessions.create(logged, "plumb-reproduce");
      Log.showProgress();
      String resolved = Locations.join(logged.workDir(), "reports", "resolved-config.yaml");
      JsonFiles.writeText(resolved, resolvedYaml(logged));
      ReproduceStage.Result r =
          ReproduceStage.run(spark, logged, (MlflowTracker) again, original, resolved);
      out.print(Summary.render("reproduce", r.outcome()));
      out.printf(
          "  reproduces         run %s%s%n  model bytes        %s%n  metrics            %s%n"
              + "  reproduce report   %s%n",
          id,
          r.codeChanged() ? " (at another git commit)" : "",
          r.modelIdentical() ? "identical" : "DIFFERENT",
          r.differentMetrics().isEmpty() ? "identical" : "DIFFERENT: " + r.differentMetrics(),
          r.report());
      return r.identical() ? 0 : 1;
    }
  }

  /** True for the driver of {@code spark-submit --deploy-mode cluster}. */
  static boolean clusterDeployMode() {
    return "cluster".equals(System.getProperty("spark.submit.deployMode"));
  }

  /**
   * How a failed job ends in platform mode: the platform (a Databricks JAR task, a cluster-mode
   * driver) marks the run failed on this exception; the message above it said what went wrong.
   */
  public static final class PlatformRunFailed extends RuntimeException {
    private final int exitCode;

    PlatformRunFailed(String job, int exitCode) {
      super(
          "plumb "
              + job
              + " failed with exit code "
              + exitCode
              + " (see the 'plumb ... failed' message and the driver log above)");
      this.exitCode = exitCode;
    }

    /** The exit code the job would have had as its own process (README, "Exit codes"). */
    public int exitCode() {
      return exitCode;
    }
  }

  private static final org.slf4j.Logger TRACE =
      org.slf4j.LoggerFactory.getLogger("dev.plumb.trace");

  private static final java.util.concurrent.atomic.AtomicBoolean FINISHED =
      new java.util.concurrent.atomic.AtomicBoolean();

  private static final java.util.concurrent.atomic.AtomicBoolean STOPPING =
      new java.util.concurrent.atomic.AtomicBoolean();

  /**
   * SIGTERM / SIGINT before the job finished: one line on the console saying what became of the
   * outputs; what Spark's threads throw while they are torn down goes to the log file only.
   */
  private static void handleSignals(String job) {
    Thread.setDefaultUncaughtExceptionHandler(
        (thread, e) -> {
          TRACE.error("uncaught in thread " + thread.getName(), e);
          if (!STOPPING.get()) {
            System.err.println(
                "plumb: thread "
                    + thread.getName()
                    + " failed: "
                    + messageOf(e)
                    + " (see the log)");
          }
        });
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  if (FINISHED.get()) {
                    return;
                  }
                  STOPPING.set(true);
                  Log.consoleOff();
                  System.err.println(
                      "plumb "
                          + job
                          + ": stopped by a signal before it finished; every Delta table, feature"
                          + " set and model stays at its last complete version (rerun the job)");
                  System.err.flush();
                },
                "plumb-shutdown"));
  }

  /** Runs a job; returns the exit code. Tests call this in-process. */
  public static int run(String[] args, Map<String, String> env, PrintStream out, PrintStream err) {
    Invocation inv;
    try {
      inv = parse(args);
    } catch (JobErrors.UsageException e) {
      err.println("plumb: " + e.getMessage());
      err.println();
      err.println(USAGE);
      return 2;
    }
    if (inv.help()) {
      out.println(USAGE);
      return 0;
    }
    if (inv.job().equals("keys")) {
      out.println("Config keys (precedence: --set > config file > default):");
      out.print(ConfigKeys.table());
      return 0;
    }
    PlumbConfig config;
    try {
      config = PlumbConfig.load(inv.conf(), inv.sets(), env);
    } catch (IllegalArgumentException e) {
      err.println("plumb: " + e.getMessage());
      return 2;
    }
    if (inv.job().equals("config")) {
      out.print(resolvedYaml(config));
      return 0;
    }
    if (inv.job().equals("features") && inv.action().equals("list")) {
      new FeatureStore(Storages.beforeSpark(config.sparkConf()), FeaturesStage.store(config))
          .list()
          .forEach(out::println);
      return 0;
    }
    if (inv.job().equals("features") && inv.action().equals("apply")) {
      try {
        SparkSession spark = SparkSessions.create(config, "plumb-features-apply");
        Log.showProgress();
        String version = inv.options().getOrDefault("--version", "");
        if (version.isEmpty()) {
          throw JobErrors.usage("features apply needs --version V (see 'plumb features list')");
        }
        long rows =
            FeaturesStage.featureStore(config)
                .apply(
                    spark,
                    config.string("features.name"),
                    version,
                    Locations.qualify(inv.options().getOrDefault("--input", "")),
                    Locations.qualify(inv.options().getOrDefault("--output", "")));
        out.println("features apply: " + rows + " rows written");
        return 0;
      } catch (JobErrors.UsageException e) {
        err.println("plumb: " + e.getMessage());
        return 2;
      } catch (Exception e) { // Spark throws checked SparkException from Scala code, undeclared
        err.println("plumb features apply failed: " + Secrets.redactUri(messageOf(e)));
        return exitCode(e);
      }
    }
    try (RunTracker tracker = tracker(config, env)) {
      if (tracker instanceof MlflowTracker mlflow) {
        mlflow.checkReachable(); // before any compute
      }
      if (inv.job().equals("score")) {
        return score(inv, config, tracker, out);
      }
      if (inv.job().equals("compare") || inv.job().equals("promote")) {
        return compare(inv, config, tracker, out);
      }
      if (inv.job().equals("reproduce")) {
        return reproduce(inv, config, tracker, env, out);
      }
      if (inv.job().equals("monitor")) {
        return monitor(inv, config, tracker, out, err);
      }
      SparkSession spark = SparkSessions.create(config, "plumb-" + inv.job());
      // Spark's log level is the platform's (or the launcher's log4j2 file's); Plumb's own logger
      // reports progress at INFO whatever it is.
      Log.showProgress();
      if (inv.job().equals("demo")) {
        DemoData.writeIfMissing(
            spark,
            config.inputRoots().get(0),
            config.integer("demo.rows"),
            config.integer("demo.days"),
            config.integer("demo.seed"));
      }
      String resolved = Locations.join(config.workDir(), "reports", "resolved-config.yaml");
      JsonFiles.writeText(resolved, resolvedYaml(config));
      Pipeline.Outcome outcome;
      try (ProgressReporter progress =
          ProgressReporter.start(
              spark.sparkContext(), config.integer("log.progress_every_seconds"))) {
        outcome = Pipeline.run(inv.job(), spark, config, tracker, resolved);
      }
      out.print(Summary.render(inv.job(), outcome));
      return 0;
    } catch (Exception e) { // Spark throws checked SparkException from Scala code, undeclared
      if (STOPPING.get()) {
        TRACE.error("plumb " + inv.job() + " stopped", e);
        return 1;
      }
      err.println("plumb " + inv.job() + " failed: " + Secrets.redactUri(messageOf(e)));
      TRACE.error("plumb " + inv.job() + " failed", e);
      if (Boolean.parseBoolean(env.getOrDefault("PLUMB_DEBUG", "false"))) {
        e.printStackTrace(err);
      }
      return exitCode(e);
    }
  }

  /**
   * The exit code of a failure: set by its category alone ({@link PlumbException}, a usage or
   * config error: 2), wherever in the cause chain it sits; anything else is a failed job (1).
   */
  static int exitCode(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof PlumbException p) {
        return p.category().exitCode();
      }
      if (t instanceof JobErrors.UsageException) {
        return PlumbException.Category.BAD_CONFIG.exitCode();
      }
    }
    return 1;
  }

  private static String messageOf(Throwable e) {
    Throwable t = e;
    String message = e.getMessage();
    while (message == null && t.getCause() != null) {
      t = t.getCause();
      message = t.getMessage();
    }
    return message == null ? e.toString() : message;
  }

  private static RunTracker tracker(PlumbConfig config, Map<String, String> env) {
    if (config.string("tracking.mode").equals("none")) {
      return new NoTracking();
    }
    return new MlflowTracker(
        config.string("tracking.uri"),
        config.string("tracking.experiment"),
        Duration.ofSeconds(config.integer("tracking.timeout_seconds")),
        env);
  }

  private static String resolvedYaml(PlumbConfig config) {
    StringBuilder sb = new StringBuilder("# Resolved Plumb config (secrets redacted)\n");
    config.redacted().forEach((k, v) -> sb.append(k).append(": \"").append(v).append("\"\n"));
    return sb.toString();
  }

  /** A parsed command line. */
  record Invocation(
      String job,
      String action,
      String conf,
      List<String> sets,
      boolean help,
      Map<String, String> options) {}

  static Invocation parse(String[] args) {
    if (args.length == 0) {
      throw JobErrors.usage("no job given; one of " + JOBS);
    }
    if (args[0].equals("--help") || args[0].equals("-h") || args[0].equals("help")) {
      return new Invocation("help", "", null, List.of(), true, Map.of());
    }
    String job = args[0];
    if (!JOBS.contains(job)) {
      String suggestion = JobErrors.closest(job, JOBS);
      throw JobErrors.usage(
          "unknown job '"
              + job
              + "'"
              + (suggestion == null ? "" : " (did you mean '" + suggestion + "'?)")
              + "; one of "
              + JOBS);
    }
    String conf = null;
    List<String> sets = new ArrayList<>();
    boolean help = false;
    String action = "";
    int first = 1;
    if (job.equals("features")
        && args.length > 1
        && (args[1].equals("list") || args[1].equals("apply"))) {
      action = args[1];
      first = 2;
    }
    Map<String, String> options = new java.util.LinkedHashMap<>();
    if (job.equals("reproduce") && args.length > 1 && !args[1].startsWith("-")) {
      options.put("--run", args[1]);
      first = 2;
    }
    for (int i = first; i < args.length; i++) {
      String a = args[i];
      switch (a) {
        case "--help", "-h" -> help = true;
        case "--conf" -> {
          conf = value(args, ++i, a);
        }
        case "--set" -> sets.add(value(args, ++i, a));
        case "--tracking" -> sets.add("tracking.mode=" + value(args, ++i, a));
        case "--force" -> {
          if (job.equals("promote")) {
            options.put(a, "true");
          } else {
            sets.add("features.force=true");
          }
        }
        case "--reason" -> {
          if (!job.equals("promote")) {
            throw JobErrors.usage(a + " is an option of 'promote --force' only");
          }
          options.put(a, value(args, ++i, a));
        }
        case "--champion" -> {
          if (!job.equals("compare") && !job.equals("promote")) {
            throw JobErrors.usage(a + " is an option of 'compare' and 'promote' only");
          }
          sets.add("compare.champion=" + value(args, ++i, a));
        }
        case "--version" -> {
          if (!action.equals("apply")) {
            throw JobErrors.usage(a + " is an option of 'features apply' only");
          }
          options.put(a, value(args, ++i, a));
        }
        case "--input" -> {
          if (!action.equals("apply") && !job.equals("score") && !job.equals("monitor")) {
            throw JobErrors.usage(
                a + " is an option of 'features apply', 'score' and 'monitor' only");
          }
          options.put(a, value(args, ++i, a));
        }
        case "--output" -> {
          if (!action.equals("apply") && !job.equals("score")) {
            throw JobErrors.usage(a + " is an option of 'features apply' and 'score' only");
          }
          options.put(a, value(args, ++i, a));
        }
        case "--model" -> {
          if (!List.of("score", "compare", "promote", "monitor").contains(job)) {
            throw JobErrors.usage(
                a + " is an option of 'score', 'compare', 'promote' and 'monitor' only");
          }
          options.put(a, value(args, ++i, a));
        }
        case "--contributions" -> {
          if (!job.equals("score")) {
            throw JobErrors.usage(a + " is an option of 'score' only");
          }
          options.put(a, value(args, ++i, a));
        }
        default -> {
          if (a.startsWith("--set=")) {
            sets.add(a.substring(6));
          } else if (a.startsWith("--conf=")) {
            conf = a.substring(7);
          } else if (a.startsWith("--tracking=")) {
            sets.add("tracking.mode=" + a.substring(11));
          } else if (job.equals("reproduce") && a.startsWith("runs:/")) {
            options.put("--run", a);
          } else {
            throw JobErrors.usage("unknown option '" + a + "'");
          }
        }
      }
    }
    if (action.equals("apply")) {
      for (String required : List.of("--version", "--input", "--output")) {
        if (!options.containsKey(required)) {
          throw JobErrors.usage("features apply needs " + required);
        }
      }
    }
    if (job.equals("score") && !help) {
      for (String required : List.of("--model", "--input", "--output")) {
        if (!options.containsKey(required)) {
          throw JobErrors.usage("score needs " + required);
        }
      }
      String k = options.getOrDefault("--contributions", "0");
      if (!k.matches("\\d{1,4}")) {
        throw JobErrors.usage(
            "--contributions takes a number of features (0 = none), not '" + k + "'");
      }
    }
    if (job.equals("reproduce") && !help && !options.containsKey("--run")) {
      throw JobErrors.usage("reproduce needs the run: plumb reproduce runs:/RUN_ID");
    }
    if ((job.equals("compare") || job.equals("promote")) && !help) {
      if (!options.containsKey("--model")) {
        throw JobErrors.usage(job + " needs --model REF (the candidate)");
      }
      boolean force = options.containsKey("--force");
      String reason = options.getOrDefault("--reason", "");
      if (force != !reason.isBlank()) {
        throw JobErrors.usage(
            force
                ? "promote --force needs --reason TEXT (recorded on the registry version)"
                : "--reason goes with --force (promote --force --reason TEXT)");
      }
    }
    if (job.equals("monitor") && !help) {
      for (String required : List.of("--model", "--input")) {
        if (!options.containsKey(required)) {
          throw JobErrors.usage("monitor needs " + required);
        }
      }
    }
    return new Invocation(job, action, conf, sets, help, options);
  }

  private static String value(String[] args, int i, String option) {
    if (i >= args.length) {
      throw JobErrors.usage(option + " needs a value");
    }
    return args[i];
  }
}

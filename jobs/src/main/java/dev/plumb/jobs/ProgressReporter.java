package dev.plumb.jobs;

import dev.plumb.features.io.Log;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.spark.SparkContext;
import org.apache.spark.SparkStageInfo;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerStageCompleted;
import org.apache.spark.scheduler.StageInfo;

/**
 * Progress of long steps as it happens, through Plumb's own logger (so it shows in driver logs
 * whatever level the platform gives Spark): each Spark stage that ran for a while or wrote rows,
 * when it completes (rows read and written), and every {@code every} seconds the stages still
 * running (tasks done of all), so a long training or write is never silent.
 */
final class ProgressReporter extends SparkListener implements AutoCloseable {

  /** Stages shorter than this, that wrote nothing, are not reported. */
  private static final long REPORT_AFTER_MS = 3_000;

  private final SparkContext sc;
  private final ScheduledExecutorService ticker;

  private ProgressReporter(SparkContext sc, int everySeconds) {
    this.sc = sc;
    this.ticker =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "plumb-progress");
              t.setDaemon(true);
              return t;
            });
    long every = Math.max(1, everySeconds);
    ticker.scheduleAtFixedRate(this::tick, every, every, TimeUnit.SECONDS);
  }

  /** Starts reporting on {@code sc}; close to stop. */
  static ProgressReporter start(SparkContext sc, int everySeconds) {
    ProgressReporter r = new ProgressReporter(sc, everySeconds);
    sc.addSparkListener(r);
    return r;
  }

  private void tick() {
    try {
      for (int id : sc.statusTracker().getActiveStageIds()) {
        scala.Option<SparkStageInfo> info = sc.statusTracker().getStageInfo(id);
        if (info.isDefined()) {
          SparkStageInfo s = info.get();
          Log.info(
              String.format(
                  "progress: stage %d (%s) running: %d of %d tasks done",
                  id, shortName(s.name()), s.numCompletedTasks(), s.numTasks()));
        }
      }
    } catch (RuntimeException e) {
      // the context is stopping: nothing to report
    }
  }

  @Override
  public void onStageCompleted(SparkListenerStageCompleted event) {
    StageInfo s = event.stageInfo();
    long ms =
        s.completionTime().isDefined() && s.submissionTime().isDefined()
            ? (Long) s.completionTime().get() - (Long) s.submissionTime().get()
            : 0;
    long written = s.taskMetrics().outputMetrics().recordsWritten();
    long read = s.taskMetrics().inputMetrics().recordsRead();
    if (ms < REPORT_AFTER_MS && written == 0) {
      return;
    }
    Log.info(
        String.format(
            "progress: stage %d (%s) %s in %.1f s: %,d rows read, %,d rows written",
            s.stageId(),
            shortName(s.name()),
            s.failureReason().isDefined() ? "failed" : "done",
            ms / 1000.0,
            read,
            written));
  }

  private static String shortName(String name) {
    String n = name == null ? "" : name.trim();
    int at = n.indexOf(" at ");
    return at > 0 ? n.substring(0, at) : n;
  }

  @Override
  public void close() {
    ticker.shutdownNow();
    sc.removeSparkListener(this);
  }
}

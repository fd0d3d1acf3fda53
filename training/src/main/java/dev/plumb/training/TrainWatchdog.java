package dev.plumb.training;

import dev.plumb.features.io.Log;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.spark.SparkContext;
import org.apache.spark.Success$;
import org.apache.spark.TaskKilled;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorRemoved;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerTaskEnd;

/**
 * Fails XGBoost training fast when a worker dies. XGBoost trains in a Spark barrier stage that
 * needs every worker for the whole fit; when one is lost, Spark resubmits the stage and waits for
 * task slots that may never come back, and the surviving workers wait in XGBoost's allreduce. This
 * watchdog runs the training jobs in their own job group and cancels it as soon as an executor is
 * removed or a training task fails, and every job of the group that starts after that, so the job
 * fails in seconds with the reason instead of hanging. How fast a lost executor is noticed: at once
 * when its process dies (its connection drops), after {@code spark.network.timeout} (120 s by
 * default) when its host vanishes.
 */
public final class TrainWatchdog implements AutoCloseable {

  private final SparkContext sc;
  private final String group;
  private final AtomicReference<String> failure = new AtomicReference<>();
  private final Set<Integer> stages = ConcurrentHashMap.newKeySet();
  private final SparkListener listener;
  private final Thread trainer;
  // Guarded by this: the trainer is interrupted only while the watchdog is open.
  private boolean closed;
  private boolean interrupted;

  private TrainWatchdog(SparkContext sc) {
    this.sc = sc;
    this.trainer = Thread.currentThread();
    this.group = "plumb-train-" + UUID.randomUUID();
    this.listener =
        new SparkListener() {
          @Override
          public void onJobStart(SparkListenerJobStart job) {
            if (group.equals(job.properties().getProperty("spark.jobGroup.id"))) {
              scala.collection.Iterator<Object> it = job.stageIds().iterator();
              while (it.hasNext()) {
                stages.add((Integer) it.next());
              }
              // A training job submitted after the cancel (XGBoost's barrier stage right after a
              // preparing job) would otherwise wait for the lost worker's slots: Spark retries a
              // barrier stage without enough slots for minutes.
              if (failure.get() != null) {
                sc.cancelJob(job.jobId(), failure.get());
              }
            }
          }

          @Override
          public void onTaskEnd(SparkListenerTaskEnd task) {
            if (stages.contains(task.stageId())
                && task.reason() != Success$.MODULE$
                && !(task.reason() instanceof TaskKilled)) {
              fail(
                  String.format(
                      "a training task failed on executor %s (%s)",
                      task.taskInfo().executorId(), firstLine(task.reason().toString())));
            }
          }

          @Override
          public void onExecutorRemoved(SparkListenerExecutorRemoved removed) {
            fail(
                String.format(
                    "executor %s was lost (%s)",
                    removed.executorId(), firstLine(removed.reason())));
          }
        };
  }

  /** Starts watching; training jobs must run on this thread until {@link #close}. */
  public static TrainWatchdog start(SparkContext sc) {
    TrainWatchdog w = new TrainWatchdog(sc);
    sc.addSparkListener(w.listener);
    sc.setJobGroup(w.group, "Plumb: XGBoost training", true);
    return w;
  }

  private void fail(String reason) {
    if (failure.compareAndSet(null, reason)) {
      Log.warn("train: " + reason + "; cancelling the training jobs");
      sc.cancelJobGroup(group);
      // A barrier stage submitted when too few task slots are left is not a job yet: Spark checks
      // its slots again every 15 s, up to 40 times (spark.scheduler.barrier.maxConcurrentTasksCheck
      // .*), and no cancellation reaches it. Interrupting the training thread ends its wait.
      synchronized (this) {
        if (!closed) {
          interrupted = true;
          trainer.interrupt();
        }
      }
    }
  }

  /** Clears the interrupt this watchdog set on the training thread, when it set one. */
  private synchronized void clearInterrupt() {
    if (interrupted && Thread.currentThread() == trainer) {
      Thread.interrupted();
    }
  }

  /** The error to report for {@code e}: the watchdog's reason when it cancelled the training. */
  public RuntimeException explain(Exception e) {
    clearInterrupt();
    String reason = failure.get();
    if (reason == null) {
      return e instanceof RuntimeException r
          ? r
          : new IllegalStateException("Cannot train: " + e.getMessage(), e);
    }
    return new IllegalStateException(
        "Cannot train: "
            + reason
            + " during XGBoost training. XGBoost needs all train.num_workers workers for the whole"
            + " fit and cannot go on with fewer, so the job fails instead of waiting (rerun when"
            + " the cluster is healthy, or with fewer train.num_workers)",
        e);
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "no reason given";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }

  @Override
  public void close() {
    sc.removeSparkListener(listener);
    synchronized (this) {
      closed = true;
      clearInterrupt();
    }
    sc.clearJobGroup();
  }
}

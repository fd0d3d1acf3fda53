package dev.plumb.training;

import java.util.Locale;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkContext;

/**
 * What {@link Preflight} needs to know about the cluster, read from the running SparkContext
 * without starting a Spark job.
 *
 * @param taskSlots tasks that can run at once (cores / {@code spark.task.cpus}, summed over the
 *     registered executors; in local mode, the local threads)
 * @param executors registered executors (1 in local mode: the driver)
 * @param taskCpus {@code spark.task.cpus}
 * @param dynamicAllocation whether {@code spark.dynamicAllocation.enabled} is on (ignored locally)
 * @param gpusPerExecutor {@code spark.executor.resource.gpu.amount} (in local mode {@code
 *     spark.driver.resource.gpu.amount}); 0 when executors have no GPU resources
 * @param master the Spark master URL, for messages
 */
public record ClusterFacts(
    int taskSlots,
    int executors,
    int taskCpus,
    boolean dynamicAllocation,
    double gpusPerExecutor,
    String master) {

  /** Whether executors have GPU resources. */
  public boolean hasGpus() {
    return gpusPerExecutor > 0;
  }

  /** Whether this is Spark's local mode (one JVM). */
  public boolean local() {
    return master.startsWith("local");
  }

  /** Reads the facts of a running SparkContext. */
  public static ClusterFacts of(SparkContext sc) {
    SparkConf conf = sc.getConf();
    String master = sc.master();
    boolean local = master.startsWith("local");
    int taskCpus = conf.getInt("spark.task.cpus", 1);
    // The same count Spark's barrier scheduler uses to decide whether a barrier stage fits.
    int slots = sc.maxNumConcurrentTasks(sc.resourceProfileManager().defaultResourceProfile());
    int executors = local ? 1 : Math.max(0, sc.statusTracker().getExecutorInfos().length - 1);
    boolean dynamic = !local && conf.getBoolean("spark.dynamicAllocation.enabled", false);
    String gpuKey =
        local ? "spark.driver.resource.gpu.amount" : "spark.executor.resource.gpu.amount";
    double gpus = Double.parseDouble(conf.get(gpuKey, "0").trim().toLowerCase(Locale.ROOT));
    return new ClusterFacts(slots, executors, taskCpus, dynamic, gpus, master);
  }
}

package dev.plumb.training;

/**
 * The cross-setting rules of distributed XGBoost, checked against the cluster before any Spark job
 * starts, where XGBoost on Spark would otherwise hang or crash:
 *
 * <ul>
 *   <li>more workers than free task slots: Spark retries the barrier stage for ~10 minutes;
 *   <li>{@code nthread} above {@code spark.task.cpus}: XGBoost refuses to start;
 *   <li>dynamic allocation: executors may leave mid-training and a barrier stage cannot shrink;
 *   <li>{@code device=cuda} without executor GPUs: the GPU XGBoost jar aborts the JVM.
 * </ul>
 *
 * It also resolves the {@code auto} settings: workers = task slots, threads = {@code
 * spark.task.cpus}, device = cuda only when executors have GPUs.
 */
public final class Preflight {

  private Preflight() {}

  /**
   * Checks {@code spec} against {@code cluster}; returns the spec with workers, threads and device
   * resolved, or throws {@link IllegalArgumentException} "Cannot train: ..." naming the setting and
   * the fix.
   */
  public static TrainingSpec check(TrainingSpec spec, ClusterFacts cluster) {
    if (cluster.dynamicAllocation()) {
      throw TrainingErrors.preflight(
          "spark.dynamicAllocation.enabled = true:",
          "XGBoost trains in a barrier stage that needs all its workers for the whole fit, and"
              + " dynamic allocation may remove executors mid-training",
          "set spark.dynamicAllocation.enabled=false for the training job");
    }
    if (cluster.taskSlots() < 1) {
      throw TrainingErrors.preflight(
          "the cluster (" + cluster.master() + ")",
          "has no free task slots: no executor has registered",
          "check that the workers are up and that executors fit their cores and memory");
    }
    String device = spec.device();
    if (device.equals("auto")) {
      device = cluster.hasGpus() ? "cuda" : "cpu";
    } else if (device.equals("cuda") && !cluster.hasGpus()) {
      throw TrainingErrors.preflight(
          "train.device = cuda",
          "but the executors have no GPU resources (spark.executor.resource.gpu.amount is not"
              + " set); the GPU XGBoost jar aborts the whole JVM when it finds no GPU",
          "use train.device=cpu or auto, or run with conf/gpu.yaml and the cluster/gpu/ recipe");
    }
    if (device.equals("cuda")) {
      return spec.resolved(gpuWorkers(spec, cluster), threads(spec, cluster), device);
    }
    int workers = spec.numWorkers() == TrainingSpec.AUTO ? cluster.taskSlots() : spec.numWorkers();
    if (workers > cluster.taskSlots()) {
      throw TrainingErrors.preflight(
          "train.num_workers = " + workers,
          String.format(
              "is more than the %d task slots of the cluster (%s, %d executor(s), spark.task.cpus"
                  + " = %d); Spark would retry the barrier stage for about ten minutes",
              cluster.taskSlots(), cluster.master(), cluster.executors(), cluster.taskCpus()),
          "set train.num_workers <= "
              + cluster.taskSlots()
              + " or 0 for auto, or add executors/cores");
    }
    return spec.resolved(workers, threads(spec, cluster), device);
  }

  private static int threads(TrainingSpec spec, ClusterFacts cluster) {
    int threads = spec.nthread() == TrainingSpec.AUTO ? cluster.taskCpus() : spec.nthread();
    if (threads > cluster.taskCpus()) {
      throw TrainingErrors.preflight(
          "train.nthread = " + threads,
          "is more than spark.task.cpus = " + cluster.taskCpus() + ", which XGBoost refuses",
          "set train.nthread <= spark.task.cpus, or raise spark.task.cpus (and"
              + " spark.executor.cores with it)");
    }
    return threads;
  }

  /**
   * GPU training runs one worker per GPU: XGBoost's stage-level scheduling asks for a whole GPU per
   * training task, whatever {@code spark.task.resource.gpu.amount} the ETL stages use.
   */
  private static int gpuWorkers(TrainingSpec spec, ClusterFacts cluster) {
    int gpus = cluster.executors() * (int) Math.floor(cluster.gpusPerExecutor());
    int workers = spec.numWorkers() == TrainingSpec.AUTO ? gpus : spec.numWorkers();
    if (workers > gpus) {
      throw TrainingErrors.preflight(
          "train.num_workers = " + workers,
          String.format(
              "is more than the %d GPUs of the cluster (%s, %d executor(s) x %s GPU(s)); GPU"
                  + " XGBoost trains one worker per GPU",
              gpus, cluster.master(), cluster.executors(), cluster.gpusPerExecutor()),
          "set train.num_workers <= " + gpus + " or 0 for auto, or add GPU executors");
    }
    return workers;
  }
}

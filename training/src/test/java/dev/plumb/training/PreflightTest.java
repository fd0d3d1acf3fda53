package dev.plumb.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.plumb.testing.SharedSpark;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(SharedSpark.class)
class PreflightTest {

  static final ClusterFacts TWO_CPU_EXECUTORS =
      new ClusterFacts(2, 2, 1, false, 0, "spark://127.0.0.1:7077");
  static final ClusterFacts FOUR_GPU_SLOTS =
      new ClusterFacts(16, 4, 2, false, 1, "spark://gpu-cluster:7077");

  static TrainingSpec spec(int workers, int threads, String device) {
    return new TrainingSpec(
        "binary:logistic", "logloss", 10, 3, 0.3, workers, threads, 0, 1L, device);
  }

  @Test
  void autoSettingsResolveFromTheCluster() {
    TrainingSpec cpu = Preflight.check(spec(0, 0, "auto"), TWO_CPU_EXECUTORS);
    assertThat(cpu.numWorkers()).isEqualTo(2);
    assertThat(cpu.nthread()).isEqualTo(1);
    assertThat(cpu.device()).isEqualTo("cpu");
    assertThat(cpu.isResolved()).isTrue();

    TrainingSpec gpu = Preflight.check(spec(0, 0, "auto"), FOUR_GPU_SLOTS);
    // One worker per GPU (4 executors x 1 GPU), not per CPU task slot.
    assertThat(gpu.numWorkers()).isEqualTo(4);
    assertThat(gpu.nthread()).isEqualTo(2);
    assertThat(gpu.device()).isEqualTo("cuda");
  }

  @Test
  void explicitSettingsThatFitAreKept() {
    TrainingSpec s = Preflight.check(spec(1, 1, "cpu"), TWO_CPU_EXECUTORS);
    assertThat(s.numWorkers()).isEqualTo(1);
    assertThat(s.device()).isEqualTo("cpu");
    assertThat(Preflight.check(spec(2, 1, "cuda"), FOUR_GPU_SLOTS).device()).isEqualTo("cuda");
  }

  @Test
  void moreWorkersThanTaskSlotsFailsAtOnceNamingTheSettingAndTheFix() {
    assertThatThrownBy(() -> Preflight.check(spec(3, 1, "cpu"), TWO_CPU_EXECUTORS))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("Cannot train: train.num_workers = 3")
        .hasMessageContaining("more than the 2 task slots")
        .hasMessageContaining("2 executor(s)")
        .hasMessageContaining("set train.num_workers <= 2");
  }

  @Test
  void gpuTrainingRunsOneWorkerPerGpuNotPerTaskSlot() {
    assertThatThrownBy(() -> Preflight.check(spec(5, 1, "cuda"), FOUR_GPU_SLOTS))
        .hasMessageStartingWith("Cannot train: train.num_workers = 5")
        .hasMessageContaining("more than the 4 GPUs of the cluster")
        .hasMessageContaining("set train.num_workers <= 4");
  }

  @Test
  void nthreadAboveTaskCpusFails() {
    assertThatThrownBy(() -> Preflight.check(spec(1, 2, "cpu"), TWO_CPU_EXECUTORS))
        .hasMessageStartingWith("Cannot train: train.nthread = 2")
        .hasMessageContaining("spark.task.cpus = 1")
        .hasMessageContaining("raise spark.task.cpus");
  }

  @Test
  void dynamicAllocationFails() {
    ClusterFacts dynamic = new ClusterFacts(8, 4, 1, true, 0, "yarn");
    assertThatThrownBy(() -> Preflight.check(spec(2, 1, "cpu"), dynamic))
        .hasMessageStartingWith("Cannot train: spark.dynamicAllocation.enabled = true")
        .hasMessageContaining("set spark.dynamicAllocation.enabled=false");
  }

  @Test
  void cudaWithoutExecutorGpusFailsBeforeTheGpuJarCanAbortTheJvm() {
    assertThatThrownBy(() -> Preflight.check(spec(1, 1, "cuda"), TWO_CPU_EXECUTORS))
        .hasMessageStartingWith("Cannot train: train.device = cuda")
        .hasMessageContaining("spark.executor.resource.gpu.amount")
        .hasMessageContaining("use train.device=cpu or auto");
  }

  @Test
  void aClusterWithoutExecutorsFails() {
    ClusterFacts empty = new ClusterFacts(0, 0, 1, false, 0, "spark://127.0.0.1:7077");
    assertThatThrownBy(() -> Preflight.check(spec(0, 1, "cpu"), empty))
        .hasMessageContaining("has no free task slots");
  }

  @Test
  void factsOfTheLocalTestSession(SparkSession spark) {
    ClusterFacts facts = ClusterFacts.of(spark.sparkContext());
    assertThat(facts.master()).isEqualTo("local[2]");
    assertThat(facts.taskSlots()).isEqualTo(2);
    assertThat(facts.executors()).isEqualTo(1);
    assertThat(facts.taskCpus()).isEqualTo(1);
    assertThat(facts.dynamicAllocation()).isFalse();
    assertThat(facts.hasGpus()).isFalse();
  }

  @Test
  void theTrainerRefusesAnUnresolvedSpec(SparkSession spark) {
    assertThatThrownBy(
            () ->
                XGBoostTrainer.train(
                    XGBoostTrainerTest.data(spark, 10, 1),
                    XGBoostTrainerTest.data(spark, 10, 2),
                    spec(0, 1, "cpu"),
                    "label",
                    XGBoostTrainerTest.FEATURES))
        .hasMessageContaining("train.num_workers = 0 (auto) is not resolved yet");
  }
}

package dev.plumb.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.plumb.testing.SharedSpark;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import scala.reflect.ClassTag$;

@ExtendWith(SharedSpark.class)
class TrainWatchdogTest {

  @Test
  @Timeout(120)
  void aFaultWhileABarrierStageWaitsForTaskSlotsEndsTheTrainingWithinSeconds(SparkSession spark)
      throws Exception {
    // A barrier stage with more tasks than task slots (3 on local[2]), as XGBoost's is once a
    // worker is lost: Spark checks its slots again every 15 s, 40 times, and it is no job that a
    // cancellation reaches. A training task that fails meanwhile (on a thread of the training
    // job group, as XGBoost's own jobs) must end the wait with that fault as the reason.
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    AtomicReference<Throwable> faultJob = new AtomicReference<>();
    Throwable thrown;
    double seconds;
    TrainWatchdog watchdog = TrainWatchdog.start(spark.sparkContext());
    try {
      Thread fault =
          new Thread(
              () -> {
                try {
                  Thread.sleep(2000);
                  jsc.parallelize(List.of(1), 1)
                      .map(
                          i -> {
                            throw new IllegalStateException("disk gone");
                          })
                      .collect();
                } catch (Throwable t) {
                  faultJob.set(t);
                }
              });
      fault.start();
      long started = System.nanoTime();
      scala.Function1<scala.collection.Iterator<Integer>, scala.collection.Iterator<Integer>> same =
          (scala.Function1<scala.collection.Iterator<Integer>, scala.collection.Iterator<Integer>>
                  & java.io.Serializable)
              it -> it;
      RDD<Integer> barrier =
          jsc.parallelize(List.of(1, 2, 3), 3)
              .rdd()
              .barrier()
              .mapPartitions(same, false, ClassTag$.MODULE$.apply(Integer.class));
      thrown = catchThrowable(barrier::count);
      seconds = (System.nanoTime() - started) / 1e9;
      fault.join();
      assertThat(thrown).isNotNull();
      RuntimeException explained = watchdog.explain((Exception) thrown);
      assertThat(explained.getMessage())
          .startsWith("Cannot train: a training task failed on executor driver (")
          .contains("disk gone")
          .contains("during XGBoost training");
    } finally {
      watchdog.close();
    }
    assertThat(faultJob.get()).isNotNull();
    assertThat(seconds).isBetween(1.5, 14.0);
    // The interrupt that ended the wait does not outlive the watchdog: the session goes on.
    assertThat(Thread.currentThread().isInterrupted()).isFalse();
    assertThat(spark.range(5).count()).isEqualTo(5);
  }
}

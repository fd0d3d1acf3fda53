package dev.plumb.features.io;

import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;

/**
 * Named points where the fault-injection tests stop a job (then kill it with SIGKILL), the way
 * Delta's and Iceberg's tests hook their commit paths. Armed only by the environment variable
 * {@code PLUMB_FAULT_PAUSE_AT=<point>}: the job prints {@code plumb-fault-point <point>} to stderr
 * and waits there. Unarmed, a point costs one environment lookup and changes no plan.
 */
public final class FaultPoints {

  /** Inside the clean table's write: one task has written its file, another waits. */
  public static final String INGEST_CLEAN_WRITE = "ingest.clean_write";

  /** After the clean table's commit, before the quarantine table's. */
  public static final String INGEST_BETWEEN_COMMITS = "ingest.between_commits";

  /** After the feature set's data commit and transform, before its manifest. */
  public static final String FEATURES_BEFORE_MANIFEST = "features.before_manifest";

  public static final String ENV = "PLUMB_FAULT_PAUSE_AT";

  private FaultPoints() {}

  public static boolean armed(String point) {
    return point.equals(System.getenv(ENV));
  }

  /** Waits forever at {@code point} when it is armed. */
  public static void reach(String point) {
    if (armed(point)) {
      pause(point);
    }
  }

  /**
   * {@code rows}, or, when {@code point} is armed, rows whose second partition waits at the point
   * (so the first partition's file is written and the write is caught half done).
   */
  public static Dataset<Row> pauseInsideWrite(Dataset<Row> rows, String point) {
    if (!armed(point)) {
      return rows;
    }
    MapPartitionsFunction<Row, Row> f =
        it -> {
          TaskContext task = TaskContext.get();
          if (task != null && task.partitionId() == 1) {
            pause(point);
          }
          return it;
        };
    return rows.repartition(2).mapPartitions(f, Encoders.row(rows.schema()));
  }

  private static void pause(String point) {
    System.err.println("plumb-fault-point " + point);
    System.err.flush();
    while (true) {
      try {
        Thread.sleep(60_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted at fault point " + point, e);
      }
    }
  }
}

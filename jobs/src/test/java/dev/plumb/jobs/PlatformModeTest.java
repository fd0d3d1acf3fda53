package dev.plumb.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.plumb.testing.SharedSpark;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.Logger;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Property;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Plumb as a guest in a session it did not create, the way a Databricks JAR task runs it: {@code
 * Plumb.main} returns (no System.exit), the session stays usable, Spark's log level is untouched,
 * and Plumb's progress reached the log through its own logger.
 */
@ExtendWith(SharedSpark.class)
class PlatformModeTest {

  /** Collects the events of the loggers it is attached to. */
  static final class Captured extends AbstractAppender {
    final List<LogEvent> events = Collections.synchronizedList(new ArrayList<>());

    Captured() {
      super("plumb-test-capture", null, null, true, Property.EMPTY_ARRAY);
    }

    @Override
    public void append(LogEvent event) {
      events.add(event.toImmutable());
    }

    List<String> messages() {
      synchronized (events) {
        return events.stream().map(e -> e.getMessage().getFormattedMessage()).toList();
      }
    }
  }

  private static String conf(String folder, String file) {
    return Path.of("..", "conf", folder, file).toAbsolutePath().normalize().toString();
  }

  @Test
  void aPipelineInsideTheHostSessionLeavesItAsItWas(SparkSession spark, @TempDir Path tmp) {
    spark.sparkContext().setLogLevel("ERROR"); // the platform's choice, stricter than Plumb's INFO
    Logger root = (Logger) LogManager.getRootLogger();
    Level before = root.getLevel();
    Captured captured = new Captured();
    captured.start();
    root.addAppender(captured);
    try {
      Plumb.main(
          new String[] {
            "demo",
            "--tracking",
            "none",
            "--set",
            "work_dir=" + tmp.resolve("work"),
            "--set",
            "demo.rows=3000",
            "--set",
            "demo.days=3",
            "--set",
            "train.num_round=5",
            "--set",
            "log.progress_every_seconds=1",
            "--set",
            "ingest.input=" + tmp.resolve("data"),
            "--set",
            "ingest.contract=" + conf("contracts", "demo.yaml"),
            "--set",
            "features.spec=" + conf("features", "demo.yaml"),
            "--set",
            "evaluate.spec=" + conf("eval", "demo.yaml")
          });
    } finally {
      root.removeAppender(captured);
    }
    assertThat(root.getLevel()).isEqualTo(before).isEqualTo(Level.ERROR);
    assertThat(spark.sparkContext().isStopped()).isFalse();
    assertThat(spark.range(5).count()).isEqualTo(5);
    List<String> lines = captured.messages();
    assertThat(lines).anyMatch(l -> l.startsWith("stage ingest"));
    assertThat(lines).anyMatch(l -> l.startsWith("stage train"));
    assertThat(lines).anyMatch(l -> l.startsWith("stage evaluate"));
    assertThat(lines).anyMatch(l -> l.startsWith("progress: stage"));
    // Spark's own INFO lines stay hidden: only Plumb's logger was raised.
    synchronized (captured.events) {
      assertThat(captured.events)
          .filteredOn(e -> e.getLevel() == Level.INFO)
          .allMatch(e -> e.getLoggerName().startsWith("dev.plumb"));
    }
  }

  @Test
  void aFailedJobThrowsInsteadOfExiting(SparkSession spark, @TempDir Path tmp) {
    assertThatThrownBy(
            () ->
                Plumb.main(
                    new String[] {
                      "evaluate", "--tracking", "none", "--set", "work_dir=" + tmp.resolve("empty"),
                    }))
        .isInstanceOf(Plumb.PlatformRunFailed.class)
        .hasMessageContaining("plumb evaluate failed with exit code")
        .satisfies(e -> assertThat(((Plumb.PlatformRunFailed) e).exitCode()).isEqualTo(1));
    assertThat(spark.range(3).count()).isEqualTo(3);
  }
}

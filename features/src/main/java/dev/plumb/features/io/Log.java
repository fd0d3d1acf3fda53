package dev.plumb.features.io;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Progress logging: what each stage is doing and how long it took. */
public final class Log {

  private static final Logger LOG = LoggerFactory.getLogger("dev.plumb");

  private Log() {}

  public static void info(String message) {
    LOG.info(Secrets.redactUri(message));
  }

  public static void warn(String message) {
    LOG.warn(Secrets.redactUri(message));
  }

  /**
   * Makes Plumb's own logger report at INFO when the logging configuration (Spark's defaults, a
   * platform's, a root level set to WARN) would hide it; touches no other logger. Does nothing
   * under another logging backend.
   */
  public static void showProgress() {
    if (LOG.isInfoEnabled()) {
      return;
    }
    try {
      org.apache.logging.log4j.core.config.Configurator.setLevel(
          "dev.plumb", org.apache.logging.log4j.Level.INFO);
    } catch (RuntimeException | LinkageError e) {
      // another backend: leave it as it is
    }
  }

  /**
   * Detaches the console appender (log4j 2, the backend Spark ships) from every logger, so a job
   * torn down by a signal does not spill the stack traces of dying threads on the console; the log
   * file keeps them. Does nothing under another logging backend.
   */
  public static void consoleOff() {
    try {
      org.apache.logging.log4j.core.LoggerContext ctx =
          (org.apache.logging.log4j.core.LoggerContext)
              org.apache.logging.log4j.LogManager.getContext(false);
      org.apache.logging.log4j.core.config.Configuration c = ctx.getConfiguration();
      for (org.apache.logging.log4j.core.config.LoggerConfig l : c.getLoggers().values()) {
        l.removeAppender("console");
      }
      c.getRootLogger().removeAppender("console");
      ctx.updateLoggers();
    } catch (RuntimeException | LinkageError e) {
      // another backend: leave it as it is
    }
  }

  /** Times one step and logs its duration; returns the step's value. */
  public static <T> Timed<T> timed(String what, java.util.function.Supplier<T> step) {
    info(what + " ...");
    long start = System.nanoTime();
    T value = step.get();
    double seconds = (System.nanoTime() - start) / 1e9;
    info(String.format("%s done in %.1f s", what, seconds));
    return new Timed<>(value, seconds);
  }

  /** A value and the seconds it took. */
  public record Timed<T>(T value, double seconds) {}
}

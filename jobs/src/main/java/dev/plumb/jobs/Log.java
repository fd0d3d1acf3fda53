package dev.plumb.jobs;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Progress logging: what each stage is doing and how long it took. */
final class Log {

  private static final Logger LOG = LoggerFactory.getLogger("dev.plumb");

  private Log() {}

  static void info(String message) {
    LOG.info(Secrets.redactUri(message));
  }

  static void warn(String message) {
    LOG.warn(Secrets.redactUri(message));
  }

  /** Times one step and logs its duration; returns the step's value. */
  static <T> Timed<T> timed(String what, java.util.function.Supplier<T> step) {
    info(what + " ...");
    long start = System.nanoTime();
    T value = step.get();
    double seconds = (System.nanoTime() - start) / 1e9;
    info(String.format("%s done in %.1f s", what, seconds));
    return new Timed<>(value, seconds);
  }

  /** A value and the seconds it took. */
  record Timed<T>(T value, double seconds) {}
}

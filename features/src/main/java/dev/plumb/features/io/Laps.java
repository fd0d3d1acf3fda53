package dev.plumb.features.io;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Wall-clock seconds per part of a stage, in the order the parts ran, for the stage's report: each
 * {@link #lap} closes the part that ran since the previous lap (a part named twice adds up).
 */
public final class Laps {

  private final long started = System.nanoTime();
  private long last = started;
  private final Map<String, Double> seconds = new LinkedHashMap<>();

  /** Closes the part {@code part}: the seconds since the previous lap (or the start). */
  public void lap(String part) {
    long now = System.nanoTime();
    seconds.merge(part, (now - last) / 1e9, Double::sum);
    last = now;
  }

  /** Every part's seconds so far. */
  public Map<String, Double> seconds() {
    return Collections.unmodifiableMap(seconds);
  }

  /** Every part's seconds and {@code total}, the seconds since this was made. */
  public Map<String, Double> withTotal() {
    Map<String, Double> out = new LinkedHashMap<>(seconds);
    out.put("total", (System.nanoTime() - started) / 1e9);
    return out;
  }
}

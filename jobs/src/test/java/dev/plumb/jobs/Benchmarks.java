package dev.plumb.jobs;

import java.util.ArrayList;
import java.util.List;

/** Shared helpers of the benchmarks in this module. */
final class Benchmarks {

  private Benchmarks() {}

  static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    sorted.sort(null);
    int n = sorted.size();
    return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }
}

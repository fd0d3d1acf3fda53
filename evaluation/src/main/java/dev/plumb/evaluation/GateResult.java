package dev.plumb.evaluation;

/**
 * Whether one gate passed.
 *
 * @param name the gate's name
 * @param metric the metric (or pattern) it checks
 * @param passed true when every matching metric is within its bounds
 * @param detail the values compared, in words
 */
public record GateResult(String name, String metric, boolean passed, String detail) {}

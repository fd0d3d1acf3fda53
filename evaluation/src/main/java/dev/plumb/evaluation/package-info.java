/**
 * Metrics, curves, sampling, slices, baselines, behavioural tests, drift, gates and reports over a
 * predictions dataset. Pure: predictions in, values out.
 */
package dev.plumb.evaluation;

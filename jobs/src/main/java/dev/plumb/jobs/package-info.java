/**
 * The edge of Plumb: {@code main} entry points, the CLI, config loading, SparkSession building,
 * reading and writing tables and files, MLflow tracking and the pipeline. Every side effect lives
 * here; the libraries stay pure.
 */
package dev.plumb.jobs;

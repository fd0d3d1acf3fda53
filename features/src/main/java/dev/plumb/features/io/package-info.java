/**
 * The storage port: every read and write of Plumb's own files (configs, contracts, specs, reports,
 * manifests, fitted transforms, {@code LATEST} pointers, model files and samples) goes through
 * {@link dev.plumb.features.io.Storage}, backed by Hadoop {@code FileSystem}, so any scheme Spark
 * can reach works ({@code s3a://}, {@code s3://}, {@code abfss://}, {@code gs://}, {@code dbfs:/},
 * {@code hdfs://}, {@code file:} and plain local paths). Locations are URI strings and are never
 * rewritten; {@link dev.plumb.features.io.Locations} joins and splits them. Spark itself reads and
 * writes the data (Delta, Parquet); this port handles the metadata beside it.
 */
package dev.plumb.features.io;

/**
 * Training specs, XGBoost4J-Spark estimator setup, device selection, early stopping and model
 * files. Pure: datasets and specs in, a {@link dev.plumb.training.TrainedModel} out.
 */
package dev.plumb.training;

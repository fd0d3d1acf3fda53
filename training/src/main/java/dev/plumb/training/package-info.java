/**
 * Training specs, the preflight of distributed XGBoost against the cluster (workers, threads,
 * dynamic allocation, device), XGBoost4J-Spark estimator setup, early stopping and the best
 * iteration, class weighting, and model files (UBJ/JSON boosters with their feature names). Pure:
 * datasets, specs and cluster facts in, a {@link dev.plumb.training.TrainedModel} out; errors are
 * built in {@link dev.plumb.training.TrainingErrors}.
 */
package dev.plumb.training;

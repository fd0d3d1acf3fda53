package dev.plumb.jobs;

import dev.plumb.features.io.Locations;
import dev.plumb.features.io.Log;
import dev.plumb.features.io.PlumbException;
import dev.plumb.features.io.Storage;
import dev.plumb.jobs.tracking.MlflowTracker;
import dev.plumb.jobs.tracking.RunTracker;
import dev.plumb.training.ModelStore;
import java.util.List;

/**
 * Where {@code plumb score} and {@code plumb monitor} find their model: a model folder (any
 * filesystem), a run's logged model ({@code runs:/ID/model}) or a registered one ({@code
 * models:/NAME@ALIAS}, {@code models:/NAME/VERSION}); MLflow models are copied into {@code
 * <work_dir>/score-models/<run>/} first, so scoring reads the very files that were logged.
 */
final class ModelSource {

  private ModelSource() {}

  static String resolve(String ref, PlumbConfig config, RunTracker tracker, Storage storage) {
    if (!ref.startsWith("runs:/") && !ref.startsWith("models:/")) {
      return Locations.qualify(ref);
    }
    if (!(tracker instanceof MlflowTracker mlflow)) {
      throw JobErrors.usage(
          "--model "
              + ref
              + " is an MLflow URI: score with tracking on (tracking.mode=mlflow and"
              + " a server in tracking.uri or MLFLOW_TRACKING_URI), or pass a model folder");
    }
    String runId;
    String path;
    if (ref.startsWith("runs:/")) {
      String rest = ref.substring("runs:/".length());
      int slash = rest.indexOf('/');
      if (slash <= 0 || slash == rest.length() - 1) {
        throw JobErrors.usage("--model " + ref + ": write runs:/RUN_ID/model");
      }
      runId = rest.substring(0, slash);
      path = rest.substring(slash + 1);
    } else {
      String[] r = mlflow.registeredModel(ref);
      runId = r[0];
      path = r[1];
    }
    String target =
        Locations.join(
            config.workDir(),
            "score-models",
            Locations.checkSegment(runId, "the run id"),
            Locations.checkSegment(path.replace('/', '_'), "the artifact path"));
    List<String> files =
        List.of(ModelStore.MODEL_FILE, ModelStore.MODEL_META, ModelStore.TRANSFORM);
    List<String> there = mlflow.listArtifacts(runId, path);
    if (!there.containsAll(files)) {
      throw new PlumbException(
          PlumbException.Category.BAD_INPUT,
          "Cannot score with "
              + ref
              + ": run "
              + runId
              + " has no Plumb model under '"
              + path
              + "' (it needs "
              + files
              + "; found "
              + there
              + "); pass the artifact path the model was logged under, e.g. runs:/"
              + runId
              + "/model",
          null);
    }
    List<String> copied = new java.util.ArrayList<>(files);
    // The training reference of plumb monitor: models logged before it existed have none.
    if (there.contains(ModelStore.REFERENCE)) {
      copied.add(ModelStore.REFERENCE);
    }
    for (String f : copied) {
      storage.write(Locations.join(target, f), mlflow.downloadArtifact(runId, path + "/" + f));
    }
    Log.info("score: model " + ref + " copied from run " + runId + " to " + target);
    return target;
  }
}

package dev.plumb.jobs;

import java.nio.file.Path;
import java.util.List;

/**
 * Writes the {@code MLmodel} descriptor beside the booster so the model folder, logged as the run's
 * {@code model} artifact, loads with {@code mlflow.xgboost.load_model} in Python.
 */
final class MlflowModelFiles {

  private MlflowModelFiles() {}

  static void writeMlmodel(Path dir, List<String> featureNames) {
    StringBuilder inputs = new StringBuilder("[");
    for (int i = 0; i < featureNames.size(); i++) {
      inputs.append(i == 0 ? "" : ", ");
      inputs.append("{\"type\": \"double\", \"name\": \"").append(featureNames.get(i));
      inputs.append("\", \"required\": false}");
    }
    inputs.append(']');
    String mlmodel =
        String.join(
            "\n",
            "artifact_path: model",
            "flavors:",
            "  python_function:",
            "    data: " + TrainStage.MODEL_FILE,
            "    loader_module: mlflow.xgboost",
            "    python_version: 3.11.7",
            "  xgboost:",
            "    code: null",
            "    data: " + TrainStage.MODEL_FILE,
            "    model_class: xgboost.core.Booster",
            "    model_format: ubj",
            "    xgb_version: " + BuildInfo.get("xgboost.version"),
            "mlflow_version: " + BuildInfo.get("mlflow.version"),
            "signature:",
            "  inputs: '" + inputs.toString().replace("'", "''") + "'",
            "  outputs: '[{\"type\": \"double\", \"name\": \"score\", \"required\": true}]'",
            "");
    JsonFiles.writeText(dir.resolve("MLmodel"), mlmodel);
  }
}

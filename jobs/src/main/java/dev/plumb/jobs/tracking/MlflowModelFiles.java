package dev.plumb.jobs.tracking;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.plumb.features.io.JsonFiles;
import dev.plumb.features.io.Locations;
import dev.plumb.features.io.Storage;
import dev.plumb.features.io.Storages;
import dev.plumb.jobs.BuildInfo;
import dev.plumb.training.ModelFiles;
import dev.plumb.training.ModelFormat;
import dev.plumb.training.ModelStore;
import java.io.IOException;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Writes models in MLflow's model format, so a model folder loads with {@code
 * mlflow.pyfunc.load_model} and {@code mlflow.xgboost.load_model} in Python: an {@code MLmodel}
 * file with the {@code xgboost} flavor (booster file, XGBoost version, format, class {@code
 * xgboost.core.Booster}) and the {@code python_function} flavor ({@code mlflow.xgboost} loader,
 * environment files), a signature (the feature columns as doubles in, the positive-class
 * probability out) and an input example.
 */
public final class MlflowModelFiles {

  /** The Python the environment files ask for; a Java job has none of its own to report. */
  public static final String PYTHON_VERSION = "3.11.7";

  public static final String MLMODEL = "MLmodel";
  public static final String INPUT_EXAMPLE = "input_example.json";
  private static final ObjectMapper JSON =
      new ObjectMapper()
          .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
          .setNodeFactory(JsonNodeFactory.withExactBigDecimals(true));

  private MlflowModelFiles() {}

  /**
   * Writes {@code MLmodel} and the environment files beside the booster in a trained model's folder
   * (no input example, no run id).
   */
  public static void writeMlmodel(String dir, List<String> featureNames) {
    writeDescriptor(dir, featureNames, null, Map.of());
  }

  /**
   * Builds the MLflow model folder {@code target} of a trained model: the booster cut to its best
   * iteration (so Python scores exactly as Plumb's evaluation did), the feature transform and
   * Plumb's model metadata, {@code MLmodel}, environment files and an input example.
   *
   * @param modelDir the trained model's folder ({@code model.ubj}, {@code model.json}, ...)
   * @param rounds the boosting rounds to keep (best iteration + 1)
   * @param example a few rows of feature values, in feature order
   * @param runId the run the model is logged to
   */
  public static String writeModel(
      String modelDir,
      String target,
      List<String> featureNames,
      int rounds,
      List<double[]> example,
      String runId) {
    Storage storage = Storages.current();
    byte[] booster = storage.read(Locations.join(modelDir, ModelStore.MODEL_FILE));
    byte[] cut = firstRounds(booster, rounds);
    storage.write(Locations.join(target, ModelStore.MODEL_FILE), cut);
    if (storage.isFile(Locations.join(modelDir, ModelFormat.JSON.fileName()))) {
      storage.write(
          Locations.join(target, ModelFormat.JSON.fileName()),
          ModelFiles.convert(cut, ModelFormat.JSON));
    }
    for (String f : List.of(ModelStore.MODEL_META, ModelStore.TRANSFORM)) {
      String from = Locations.join(modelDir, f);
      if (storage.isFile(from)) {
        storage.write(Locations.join(target, f), storage.read(from));
      }
    }
    Map<String, Object> example2 = new LinkedHashMap<>();
    example2.put("columns", featureNames);
    List<List<Double>> data = new ArrayList<>();
    for (double[] row : example) {
      List<Double> r = new ArrayList<>();
      for (double v : row) {
        r.add(Double.isNaN(v) ? null : v); // null reads back as NaN (missing) in pandas
      }
      data.add(r);
    }
    example2.put("data", data);
    JsonFiles.writeText(
        Locations.join(target, INPUT_EXAMPLE), dev.plumb.features.io.YamlDocs.toJson(example2));
    writeDescriptor(target, featureNames, runId, Map.of("example", "true"));
    return target;
  }

  private static void writeDescriptor(
      String dir, List<String> featureNames, String runId, Map<String, String> options) {
    ArrayNode inputs = JSON.createArrayNode();
    for (String f : featureNames) {
      ObjectNode c = JSON.createObjectNode();
      c.put("type", "double");
      c.put("name", f);
      c.put("required", true);
      inputs.add(c);
    }
    String outputs =
        "[{\"type\": \"tensor\", \"tensor-spec\": {\"dtype\": \"float32\", \"shape\": [-1]}}]";
    long size = sizeOf(Locations.join(dir, ModelStore.MODEL_FILE));
    List<String> lines = new ArrayList<>();
    lines.add("artifact_path: model");
    lines.add("flavors:");
    lines.add("  python_function:");
    lines.add("    data: " + ModelStore.MODEL_FILE);
    lines.add("    env:");
    lines.add("      conda: conda.yaml");
    lines.add("      virtualenv: python_env.yaml");
    lines.add("    loader_module: mlflow.xgboost");
    lines.add("    python_version: " + PYTHON_VERSION);
    lines.add("  xgboost:");
    lines.add("    code: null");
    lines.add("    data: " + ModelStore.MODEL_FILE);
    lines.add("    model_class: xgboost.core.Booster");
    lines.add("    model_format: ubj");
    lines.add("    xgb_version: " + BuildInfo.get("xgboost.version"));
    lines.add("mlflow_version: " + BuildInfo.get("mlflow.version"));
    if (size >= 0) {
      lines.add("model_size_bytes: " + size);
    }
    lines.add("model_uuid: " + UUID.randomUUID().toString().replace("-", ""));
    if (runId != null) {
      lines.add("run_id: " + runId);
    }
    if (options.containsKey("example")) {
      lines.add("saved_input_example_info:");
      lines.add("  artifact_path: " + INPUT_EXAMPLE);
      lines.add("  pandas_orient: split");
      lines.add("  type: dataframe");
    }
    lines.add("signature:");
    lines.add("  inputs: '" + inputs.toString().replace("'", "''") + "'");
    lines.add("  outputs: '" + outputs + "'");
    lines.add("  params: null");
    lines.add(
        "utc_time_created: '"
            + LocalDateTime.now(ZoneOffset.UTC)
                .format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSS"))
            + "'");
    lines.add("");
    JsonFiles.writeText(Locations.join(dir, MLMODEL), String.join("\n", lines));
    String mlflow = "mlflow==" + BuildInfo.get("mlflow.version");
    String xgboost = "xgboost==" + BuildInfo.get("xgboost.version");
    JsonFiles.writeText(Locations.join(dir, "requirements.txt"), mlflow + "\n" + xgboost + "\n");
    JsonFiles.writeText(
        Locations.join(dir, "python_env.yaml"),
        String.join(
            "\n",
            "python: " + PYTHON_VERSION,
            "build_dependencies:",
            "- pip",
            "dependencies:",
            "- -r requirements.txt",
            ""));
    JsonFiles.writeText(
        Locations.join(dir, "conda.yaml"),
        String.join(
            "\n",
            "channels:",
            "- conda-forge",
            "dependencies:",
            "- python=" + PYTHON_VERSION,
            "- pip",
            "- pip:",
            "  - " + mlflow,
            "  - " + xgboost,
            "name: mlflow-env",
            ""));
  }

  private static long sizeOf(String location) {
    Storage storage = Storages.current();
    return storage.isFile(location) ? storage.read(location).length : -1;
  }

  /**
   * The booster with only its first {@code rounds} boosting rounds (XGBoost's model slicing, done
   * on its JSON form: the JVM package has no slice). Returns the input when there is nothing to
   * cut.
   */
  public static byte[] firstRounds(byte[] ubj, int rounds) {
    JsonNode root;
    try {
      root = JSON.readTree(ModelFiles.convert(ubj, ModelFormat.JSON));
    } catch (IOException e) {
      throw new IllegalStateException("Cannot read the booster as JSON: " + e.getMessage(), e);
    }
    JsonNode booster = root.path("learner").path("gradient_booster");
    if (!booster.path("name").asText().equals("gbtree")) {
      return ubj; // dart and linear boosters are kept whole
    }
    ObjectNode model = (ObjectNode) booster.path("model");
    ArrayNode indptr = (ArrayNode) model.path("iteration_indptr");
    int total = indptr.size() - 1;
    if (rounds <= 0 || rounds >= total) {
      return ubj;
    }
    int trees = indptr.get(rounds).asInt();
    ArrayNode keptIndptr = JSON.createArrayNode();
    for (int i = 0; i <= rounds; i++) {
      keptIndptr.add(indptr.get(i));
    }
    model.set("iteration_indptr", keptIndptr);
    model.set("trees", head((ArrayNode) model.path("trees"), trees));
    model.set("tree_info", head((ArrayNode) model.path("tree_info"), trees));
    ((ObjectNode) model.path("gbtree_model_param")).put("num_trees", String.valueOf(trees));
    keepFloatsFloats(root);
    try {
      return ModelFiles.convert(JSON.writeValueAsBytes(root), ModelFormat.UBJ);
    } catch (IOException e) {
      throw new IllegalStateException("Cannot write the cut booster: " + e.getMessage(), e);
    }
  }

  /**
   * XGBoost's JSON reader types numbers by their text: a float written as "0" (as BigDecimal prints
   * 0E0) would read back as an integer. Writes each decimal with its exact digits and a decimal
   * point or exponent.
   */
  private static void keepFloatsFloats(JsonNode node) {
    if (node instanceof ObjectNode o) {
      List<String> names = new ArrayList<>();
      o.fieldNames().forEachRemaining(names::add);
      for (String n : names) {
        JsonNode v = o.get(n);
        if (v.isBigDecimal()) {
          o.set(n, floatText(v));
        } else {
          keepFloatsFloats(v);
        }
      }
    } else if (node instanceof ArrayNode a) {
      for (int i = 0; i < a.size(); i++) {
        JsonNode v = a.get(i);
        if (v.isBigDecimal()) {
          a.set(i, floatText(v));
        } else {
          keepFloatsFloats(v);
        }
      }
    }
  }

  private static JsonNode floatText(JsonNode decimal) {
    String text = decimal.decimalValue().toString();
    if (text.indexOf('.') < 0 && text.indexOf('E') < 0 && text.indexOf('e') < 0) {
      text = text + ".0";
    }
    return JSON.getNodeFactory()
        .rawValueNode(new com.fasterxml.jackson.databind.util.RawValue(text));
  }

  private static ArrayNode head(ArrayNode a, int n) {
    ArrayNode out = JSON.createArrayNode();
    for (int i = 0; i < n && i < a.size(); i++) {
      out.add(a.get(i));
    }
    return out;
  }
}

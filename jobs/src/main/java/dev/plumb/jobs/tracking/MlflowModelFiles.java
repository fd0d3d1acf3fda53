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
   * (no input example, no run id): its {@code python_function} flavor is MLflow's XGBoost loader on
   * the encoded features. The logged model ({@link #writeModel}) takes raw rows instead.
   */
  public static void writeMlmodel(String dir, List<String> featureNames) {
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
    writeDescriptor(dir, xgboostPyfunc(), inputs.toString(), outputs, null, List.of());
  }

  /**
   * A raw input column of the model as the raw-row {@code python_function} flavor takes it.
   *
   * @param name the column name
   * @param role {@code key}, {@code label}, {@code event_time} or {@code feature}
   * @param sparkType the column's Spark SQL type in the table the feature set was built from
   * @param contractType the type the data contract declares ({@code null} when it declares none)
   * @param nullable false when the contract declares the column non-nullable
   */
  public record RawColumn(
      String name, String role, String sparkType, String contractType, boolean nullable) {

    /**
     * The column's type in the MLflow signature. Integer columns that may hold null are declared
     * {@code double}, as MLflow advises: pandas holds a missing integer as a float NaN, which
     * MLflow's schema enforcement refuses for {@code long}.
     */
    public String mlflowType() {
      return switch (sparkType) {
        case "string" -> "string";
        case "boolean" -> "boolean";
        case "date", "timestamp", "timestamp_ntz" -> "datetime";
        case "binary" -> "binary";
        case "tinyint", "smallint", "int", "bigint" -> nullable ? "double" : "long";
        default -> "double";
      };
    }

    /** Only the feature inputs must be present; the key and the label may be left out. */
    public boolean required() {
      return !role.equals("key") && !role.equals("label");
    }

    Map<String, Object> toJson() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("name", name);
      m.put("role", role);
      m.put("spark_type", sparkType);
      m.put("contract_type", contractType);
      m.put("nullable", nullable);
      m.put("mlflow_type", mlflowType());
      return m;
    }
  }

  /** The models-from-code file of the raw-row {@code python_function} flavor. */
  public static final String MODEL_CODE = "plumb_model.py";

  /** The raw columns the raw-row flavor reads, with the contract's types and nullability. */
  public static final String RAW_COLUMNS = "raw_columns.json";

  public static final String SERVING_INPUT_EXAMPLE = "serving_input_example.json";

  /**
   * Builds the MLflow model folder {@code target} of a trained model: the booster cut to its best
   * iteration (so Python scores exactly as Plumb's evaluation did), the feature transform and
   * Plumb's model metadata, {@code MLmodel} with the {@code xgboost} flavor on the encoded features
   * and a {@code python_function} flavor on raw rows (MLflow's models-from-code: {@code
   * plumb_model.py} applies {@code transform.json}, then the booster, and decides at the stored
   * threshold), environment files and raw-row input examples.
   *
   * @param modelDir the trained model's folder ({@code model.ubj}, {@code model.json}, ...)
   * @param rounds the boosting rounds to keep (best iteration + 1)
   * @param raw the raw input columns, in the order of the signature
   * @param example a few raw rows without the label, values in {@code raw} order (JSON values:
   *     numbers, text, null)
   * @param runId the run the model is logged to
   */
  public static String writeModel(
      String modelDir,
      String target,
      int rounds,
      List<RawColumn> raw,
      List<List<Object>> example,
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
    for (String f : List.of(ModelStore.MODEL_META, ModelStore.TRANSFORM, ModelStore.REFERENCE)) {
      String from = Locations.join(modelDir, f);
      if (storage.isFile(from)) {
        storage.write(Locations.join(target, f), storage.read(from));
      }
    }
    List<Object> columns = new ArrayList<>();
    for (RawColumn c : raw) {
      columns.add(c.toJson());
    }
    JsonFiles.write(Locations.join(target, RAW_COLUMNS), Map.of("columns", columns));
    JsonFiles.writeText(Locations.join(target, MODEL_CODE), modelCode());
    Map<String, Object> split = new LinkedHashMap<>();
    split.put(
        "columns",
        raw.stream().filter(c -> !c.role().equals("label")).map(RawColumn::name).toList());
    split.put("data", example);
    JsonFiles.writeText(
        Locations.join(target, INPUT_EXAMPLE), dev.plumb.features.io.YamlDocs.toJson(split));
    JsonFiles.writeText(
        Locations.join(target, SERVING_INPUT_EXAMPLE),
        dev.plumb.features.io.YamlDocs.toJson(Map.of("dataframe_split", split)));

    ArrayNode inputs = JSON.createArrayNode();
    for (RawColumn c : raw) {
      ObjectNode o = JSON.createObjectNode();
      o.put("type", c.mlflowType());
      o.put("name", c.name());
      o.put("required", c.required());
      inputs.add(o);
    }
    String outputs =
        "[{\"type\": \"double\", \"name\": \"probability\", \"required\": true},"
            + " {\"type\": \"boolean\", \"name\": \"decision\", \"required\": false},"
            + " {\"type\": \"string\", \"name\": \"reasons\", \"required\": true}]";
    List<String> pyfunc = new ArrayList<>();
    pyfunc.add("  python_function:");
    pyfunc.add("    artifacts:");
    for (String[] a :
        List.of(
            new String[] {"booster", ModelStore.MODEL_FILE},
            new String[] {"metadata", ModelStore.MODEL_META},
            new String[] {"raw_columns", RAW_COLUMNS},
            new String[] {"transform", ModelStore.TRANSFORM})) {
      pyfunc.add("      " + a[0] + ":");
      pyfunc.add("        path: " + a[1]);
      pyfunc.add("        uri: " + a[1]);
    }
    pyfunc.add("    code: null");
    pyfunc.add("    env:");
    pyfunc.add("      conda: conda.yaml");
    pyfunc.add("      virtualenv: python_env.yaml");
    pyfunc.add("    loader_module: mlflow.pyfunc.loaders.code_model");
    pyfunc.add("    model_code_path: " + MODEL_CODE);
    pyfunc.add("    python_version: " + PYTHON_VERSION);
    pyfunc.add("    streamable: false");
    List<String> example2 =
        List.of(
            "saved_input_example_info:",
            "  artifact_path: " + INPUT_EXAMPLE,
            "  pandas_orient: split",
            "  serving_input_path: " + SERVING_INPUT_EXAMPLE,
            "  type: dataframe");
    writeDescriptor(target, pyfunc, inputs.toString(), outputs, runId, example2);
    return target;
  }

  /** The raw-row model's Python source, shipped in this jar. */
  static String modelCode() {
    try (java.io.InputStream in = MlflowModelFiles.class.getResourceAsStream(MODEL_CODE)) {
      if (in == null) {
        throw new IllegalStateException(MODEL_CODE + " is missing from the Plumb jar");
      }
      return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException("Cannot read " + MODEL_CODE + ": " + e.getMessage(), e);
    }
  }

  /** The encoded-features {@code python_function} flavor: MLflow's own XGBoost loader. */
  private static List<String> xgboostPyfunc() {
    return List.of(
        "  python_function:",
        "    data: " + ModelStore.MODEL_FILE,
        "    env:",
        "      conda: conda.yaml",
        "      virtualenv: python_env.yaml",
        "    loader_module: mlflow.xgboost",
        "    python_version: " + PYTHON_VERSION);
  }

  private static void writeDescriptor(
      String dir,
      List<String> pyfunc,
      String inputs,
      String outputs,
      String runId,
      List<String> example) {
    long size = sizeOf(Locations.join(dir, ModelStore.MODEL_FILE));
    List<String> lines = new ArrayList<>();
    lines.add("artifact_path: model");
    lines.add("flavors:");
    lines.addAll(pyfunc);
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
    lines.addAll(example);
    lines.add("signature:");
    lines.add("  inputs: '" + inputs.replace("'", "''") + "'");
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

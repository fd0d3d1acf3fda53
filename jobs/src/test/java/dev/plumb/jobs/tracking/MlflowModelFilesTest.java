package dev.plumb.jobs.tracking;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plumb.training.ModelFiles;
import dev.plumb.training.ModelStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import ml.dmlc.xgboost4j.java.Booster;
import ml.dmlc.xgboost4j.java.DMatrix;
import ml.dmlc.xgboost4j.java.XGBoost;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

public class MlflowModelFilesTest {

  @TempDir Path tmp;

  private static final int ROWS = 200;
  private static final int COLS = 3;

  private static float[] data() {
    Random r = new Random(7);
    float[] x = new float[ROWS * COLS];
    for (int i = 0; i < x.length; i++) {
      x[i] = r.nextFloat();
    }
    return x;
  }

  public static byte[] trainedBooster(int rounds) throws Exception {
    float[] x = data();
    float[] y = new float[ROWS];
    for (int i = 0; i < ROWS; i++) {
      y[i] = x[i * COLS] + 0.3f * x[i * COLS + 1] > 0.6f ? 1f : 0f;
    }
    DMatrix train = new DMatrix(x, ROWS, COLS, Float.NaN);
    train.setLabel(y);
    Map<String, Object> params = new HashMap<>();
    params.put("objective", "binary:logistic");
    params.put("max_depth", 3);
    params.put("eta", 0.3);
    params.put("nthread", 1);
    Booster b = XGBoost.train(train, params, rounds, new HashMap<>(), null, null);
    b.setFeatureNames(new String[] {"a", "b", "c"});
    return b.toByteArray("ubj");
  }

  private static Booster load(byte[] bytes) throws Exception {
    return XGBoost.loadModel(new java.io.ByteArrayInputStream(bytes));
  }

  @Test
  void theCutBoosterScoresExactlyAsTheFullOneUpToThatRound() throws Exception {
    byte[] full = trainedBooster(10);
    byte[] cut = MlflowModelFiles.firstRounds(full, 4);
    Booster fullBooster = load(full);
    Booster cutBooster = load(cut);
    DMatrix m = new DMatrix(data(), ROWS, COLS, Float.NaN);
    assertThat(cutBooster.getNumBoostedRound()).isEqualTo(4);
    float[][] expected = fullBooster.predict(m, false, 4);
    float[][] actual = cutBooster.predict(m);
    for (int i = 0; i < ROWS; i++) {
      assertThat(actual[i][0]).isEqualTo(expected[i][0]);
    }
    assertThat(fullBooster.predict(m)[0][0]).isNotEqualTo(actual[0][0]);
    assertThat(ModelFiles.featureNames(cut)).containsExactly("a", "b", "c");
    // Nothing to cut: the same bytes.
    assertThat(MlflowModelFiles.firstRounds(full, 10)).isSameAs(full);
    assertThat(MlflowModelFiles.firstRounds(full, 0)).isSameAs(full);
  }

  @Test
  void theModelFolderHoldsBothFlavorsTheEnvironmentAndTheExample() throws Exception {
    Path model = Files.createDirectories(tmp.resolve("model"));
    Files.write(model.resolve(ModelStore.MODEL_FILE), trainedBooster(5));
    Files.writeString(model.resolve(ModelStore.MODEL_META), "{}");
    Files.writeString(model.resolve(ModelStore.TRANSFORM), "{}");
    Path out =
        Path.of(
            MlflowModelFiles.writeModel(
                model.toString(),
                tmp.resolve("mlflow").toString(),
                3,
                List.of(
                    new MlflowModelFiles.RawColumn("id", "key", "bigint", "long", false),
                    new MlflowModelFiles.RawColumn("age", "feature", "int", "int", true),
                    new MlflowModelFiles.RawColumn("n", "feature", "int", "int", false),
                    new MlflowModelFiles.RawColumn("day", "event_time", "date", null, true),
                    new MlflowModelFiles.RawColumn("label", "label", "int", "int", false)),
                List.of(java.util.Arrays.asList(7L, null, 3, "2024-01-05")),
                "run123"));
    String mlmodel = Files.readString(out.resolve("MLmodel"));
    assertThat(mlmodel)
        .contains("    loader_module: mlflow.pyfunc.loaders.code_model\n")
        .contains("    model_code_path: plumb_model.py\n")
        .contains("      transform:\n        path: transform.json\n")
        .contains("      booster:\n        path: model.ubj\n")
        .contains("  xgboost:\n    code: null\n    data: model.ubj\n")
        .contains("    model_class: xgboost.core.Booster\n    model_format: ubj\n")
        .contains("run_id: run123\n")
        .contains("  artifact_path: input_example.json\n  pandas_orient: split\n")
        .contains("  serving_input_path: serving_input_example.json\n")
        .doesNotContain("cloudpickle")
        // Raw columns: a nullable int is a double (pandas' NaN), key and label are optional.
        .contains(
            "  inputs: '[{\"type\":\"long\",\"name\":\"id\",\"required\":false},"
                + "{\"type\":\"double\",\"name\":\"age\",\"required\":true},"
                + "{\"type\":\"long\",\"name\":\"n\",\"required\":true},"
                + "{\"type\":\"datetime\",\"name\":\"day\",\"required\":true},"
                + "{\"type\":\"long\",\"name\":\"label\",\"required\":false}]'");
    assertThat(Files.readString(out.resolve("input_example.json")))
        .isEqualToIgnoringWhitespace(
            "{\"columns\":[\"id\",\"age\",\"n\",\"day\"],"
                + "\"data\":[[7,null,3,\"2024-01-05\"]]}");
    assertThat(Files.readString(out.resolve("serving_input_example.json")))
        .startsWith("{\n  \"dataframe_split\" : {");
    assertThat(Files.readString(out.resolve("plumb_model.py")))
        .contains("set_model(PlumbRawRowModel())");
    assertThat(Files.readString(out.resolve("raw_columns.json")))
        .contains("\"contract_type\" : \"int\"");
    assertThat(Files.readString(out.resolve("requirements.txt")))
        .contains("mlflow==")
        .contains("xgboost==");
    assertThat(out.resolve("conda.yaml")).exists();
    assertThat(out.resolve("python_env.yaml")).content().startsWith("python: 3.");
    assertThat(out.resolve(ModelStore.MODEL_META)).exists();
    assertThat(load(Files.readAllBytes(out.resolve("model.ubj"))).getNumBoostedRound())
        .isEqualTo(3);
  }
}

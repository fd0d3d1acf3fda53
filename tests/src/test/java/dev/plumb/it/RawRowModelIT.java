package dev.plumb.it;

import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plumb.features.FeatureSetBuilder;
import dev.plumb.features.FeatureSetSpec;
import dev.plumb.features.FittedTransform;
import dev.plumb.features.Splits;
import dev.plumb.features.io.Storages;
import dev.plumb.jobs.tracking.MlflowModelFiles;
import dev.plumb.jobs.tracking.MlflowModelFiles.RawColumn;
import dev.plumb.testing.SharedSpark;
import dev.plumb.training.ModelFiles;
import dev.plumb.training.ModelFormat;
import dev.plumb.training.ModelMetadata;
import dev.plumb.training.ModelStore;
import dev.plumb.training.TrainedModel;
import dev.plumb.training.TrainingSpec;
import dev.plumb.training.XGBoostTrainer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The logged model's raw-row {@code python_function} flavor (MLflow's models-from-code, {@code
 * plumb_model.py} applying {@code transform.json} in pandas) scores raw rows as Plumb's Spark
 * transform and scorer do, for every feature type, with nulls, unseen categories and an unscorable
 * row, loaded by MLflow 2.17.2 in the project's Python env.
 */
@ExtendWith(SharedSpark.class)
class RawRowModelIT {

  @TempDir Path tmp;

  static final String SPEC =
      String.join(
          "\n",
          "name: every-type",
          "label: label",
          "key: id",
          "event_time: day",
          "split: {by: key_hash, train: 0.6, validation: 0.2, seed: 7}",
          "features:",
          "  - {name: amount, type: numeric, impute: median}",
          "  - {name: age, type: numeric, impute: mean}",
          "  - {name: log_amount, type: log1p, column: amount}",
          "  - {name: age_clipped, type: clip, column: age, min: 25, max: 60}",
          "  - {name: amount_q, type: quantile_buckets, column: amount, buckets: 4}",
          "  - {name: country, type: categorical, encoding: index}",
          "  - {name: code, type: categorical, encoding: one_hot}",
          "  - {name: age_missing, type: missing_indicator, column: age}",
          "  - {name: per_visit, type: ratio, left: amount, right: visits}",
          "  - {name: gap, type: difference, left: amount, right: visits}",
          "  - {name: dow, type: date_part, column: day, part: day_of_week}",
          "  - {name: month, type: date_part, column: day, part: month}",
          "  - {name: doy, type: date_part, column: day, part: day_of_year}",
          "  - {name: country_n7, type: window, fn: count, days: 7, by: country}",
          "  - {name: country_sum3, type: window, fn: sum, column: amount, days: 3, by: country}",
          "  - {name: code_mean5, type: window, fn: mean, column: visits, days: 5, by: code}",
          "");

  /**
   * Raw rows: amount (double, non-null but for the planted row), age (int, nullable), visits (int,
   * 0 on some rows), country (string, nullable, "ZZ" unseen in the new rows), code (int
   * categorical, nullable), day (date).
   */
  private static Dataset<Row> raw(SparkSession spark, long n, long seed, boolean fresh) {
    return spark.sql(
        "SELECT id, CASE WHEN id = 5 AND "
            + fresh
            + " THEN NULL ELSE round(r * 200 - 20, 2) END AS amount,"
            + " CASE WHEN s < 0.1 THEN NULL ELSE CAST(18 + s * 60 AS INT) END AS age,"
            + " CAST(floor(t * 5) AS INT) AS visits,"
            + " CASE WHEN t < 0.08 THEN NULL WHEN "
            + fresh
            + " AND t > 0.93 THEN 'ZZ' ELSE element_at(array('DE', 'FR', 'US', 'BR'),"
            + " CAST(1 + floor(s * 4) AS INT)) END AS country,"
            + " CASE WHEN r > 0.95 THEN NULL ELSE CAST(floor(r * 3) AS INT) END AS code,"
            + " date_add(DATE'2026-01-01', CAST(floor(t * 40) AS INT)) AS day,"
            + " CASE WHEN r * 0.7 + s * 0.3 + t * 0.2 > 0.75 THEN 1 ELSE 0 END AS label"
            + " FROM (SELECT id, rand("
            + seed
            + ") AS r, rand("
            + (seed + 1)
            + ") AS s, rand("
            + (seed + 2)
            + ") AS t FROM range("
            + n
            + "))");
  }

  @Test
  void pyfuncOnRawRowsScoresAsPlumbsSparkTransformAndScorer(SparkSession spark) throws Exception {
    FeatureSetSpec spec = FeatureSetSpec.parse(SPEC, "RawRowModelIT");
    FeatureSetBuilder.FeatureSet set =
        new FeatureSetBuilder(spec).build(raw(spark, 4000, 1, false));
    FittedTransform transform = set.transform();
    Dataset<Row> table = set.table().cache();
    List<String> features = transform.featureNames();
    TrainingSpec training =
        new TrainingSpec("binary:logistic", "logloss", 30, 4, 0.3, 1, 1, 5, 3L, "cpu");
    TrainedModel model =
        XGBoostTrainer.train(
            table.filter(col(Splits.COLUMN).equalTo(Splits.TRAIN)),
            table.filter(col(Splits.COLUMN).equalTo(Splits.VALIDATION)),
            training,
            "label",
            features);
    Path modelDir = tmp.resolve("model");
    ModelMetadata meta =
        ModelMetadata.of(model, "label", "v1", ModelFormat.UBJ)
            .withOperatingPoint(Map.of("policy", "fixed", "threshold", 0.3));
    new ModelStore(Storages.of(spark), tmp.toString())
        .write(modelDir.toString(), model.booster(), ModelFormat.UBJ, transform, meta);
    // New raw rows: unseen "ZZ", nulls everywhere they may be, one null amount (non-nullable).
    Dataset<Row> fresh = raw(spark, 600, 99, true).drop("label").cache();
    List<List<Object>> example = new java.util.ArrayList<>();
    for (Row r : fresh.filter(col("amount").isNotNull()).limit(3).collectAsList()) {
      List<Object> values = new java.util.ArrayList<>();
      for (int i = 0; i < r.size(); i++) {
        Object v = r.get(i);
        values.add(v == null || v instanceof Number ? v : String.valueOf(v));
      }
      example.add(values);
    }
    Path mlflowModel = tmp.resolve("mlflow-model");
    MlflowModelFiles.writeModel(
        modelDir.toString(),
        mlflowModel.toString(),
        model.iterationEnd(),
        List.of(
            new RawColumn("id", "key", "bigint", "long", false),
            new RawColumn("amount", "feature", "double", "double", false),
            new RawColumn("age", "feature", "int", "int", true),
            new RawColumn("visits", "feature", "int", "int", false),
            new RawColumn("country", "feature", "string", "string", true),
            new RawColumn("code", "feature", "int", "int", true),
            new RawColumn("day", "event_time", "date", null, true),
            new RawColumn("label", "label", "int", "int", false)),
        example,
        "run-it");

    Path rawParquet = tmp.resolve("raw.parquet");
    fresh.coalesce(1).write().parquet(rawParquet.toString());
    // Spark: the row with a null amount is unscorable (plumb score quarantines it); the rest go
    // through the fitted transform and the booster, windows over the scored rows only.
    Map<Long, Double> spark2 = new HashMap<>();
    ModelFiles.score(
            model.booster(),
            features,
            transform.apply(fresh.filter(col("amount").isNotNull())),
            model.iterationEnd())
        .select("id", ModelFiles.SCORE)
        .collectAsList()
        .forEach(r -> spark2.put(r.getLong(0), r.getDouble(1)));
    assertThat(spark2).hasSize(599);
    assertThat(fresh.filter(col("country").equalTo("ZZ")).count()).isGreaterThan(20);

    Path script = tmp.resolve("raw_rows.py");
    Files.writeString(
        script,
        String.join(
            "\n",
            "import json, math, sys",
            "import mlflow.pyfunc, pandas as pd",
            "from mlflow.models import Model",
            "folder, rows = sys.argv[1], sys.argv[2]",
            "model = mlflow.pyfunc.load_model(folder)",
            "df = pd.read_parquet(rows)",
            "out = model.predict(df)",
            "example = Model.load(folder).load_input_example(folder)",
            "serving = json.load(open(folder + '/serving_input_example.json'))['dataframe_split']",
            "print(json.dumps({",
            "  'ids': [int(i) for i in df['id']],",
            "  'probability': [None if math.isnan(p) else float(p) for p in out['probability']],",
            "  'decision': [None if d is None else bool(d) for d in out['decision']],",
            "  'reasons': list(out['reasons']),",
            "  'inputs': model.metadata.get_input_schema().input_names(),",
            "  'example': [float(p) for p in model.predict(example)['probability']],",
            "  'serving_columns': serving['columns'],",
            "}))",
            ""));
    Process p =
        new ProcessBuilder(
                MlflowServer.python().toString(),
                script.toString(),
                mlflowModel.toString(),
                rawParquet.toString())
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    assertThat(p.waitFor(180, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).isZero();
    JsonNode py = new ObjectMapper().readTree(out.substring(out.lastIndexOf('\n') + 1));

    assertThat(py.get("ids").size()).isEqualTo(600);
    int scored = 0;
    for (int i = 0; i < 600; i++) {
      long id = py.get("ids").get(i).asLong();
      JsonNode prob = py.get("probability").get(i);
      if (id == 5) {
        assertThat(prob.isNull()).isTrue();
        assertThat(py.get("decision").get(i).isNull()).isTrue();
        assertThat(py.get("reasons").get(i).asText()).isEqualTo("null:amount");
        continue;
      }
      assertThat(py.get("reasons").get(i).asText()).as("row " + id).isEmpty();
      assertThat(prob.asDouble()).as("row " + id).isCloseTo(spark2.get(id), Offset.offset(1e-6));
      assertThat(py.get("decision").get(i).asBoolean()).isEqualTo(spark2.get(id) >= 0.3);
      scored++;
    }
    assertThat(scored).isEqualTo(599);
    // Both decisions occur, so the threshold is exercised.
    assertThat(spark2.values().stream().filter(v -> v >= 0.3).count()).isBetween(20L, 580L);
    assertThat(py.get("example").size()).isEqualTo(3);
    assertThat(py.get("serving_columns").toString()).contains("\"day\"").doesNotContain("label");
    assertThat(py.get("inputs").toString())
        .isEqualTo("[\"id\",\"amount\",\"age\",\"visits\",\"country\",\"code\",\"day\",\"label\"]");
    // No pickle anywhere in the model folder.
    try (Stream<Path> files = Files.walk(mlflowModel)) {
      assertThat(files.map(f -> f.getFileName().toString()))
          .noneMatch(f -> f.endsWith(".pkl") || f.endsWith(".pickle"));
    }
  }
}

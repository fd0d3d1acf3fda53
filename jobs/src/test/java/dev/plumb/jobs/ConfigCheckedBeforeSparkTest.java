package dev.plumb.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every enum-like key, name that becomes a folder and referenced file is checked when the config
 * loads: a typo exits 2 at once, naming the key and where the value came from, before any stage
 * (and before a Spark session in a fresh JVM) runs.
 */
class ConfigCheckedBeforeSparkTest {

  @TempDir Path tmp;

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "ingest.format=parqet|ingest.format = 'parqet' (from --set) is not one of [parquet, delta]"
            + " (did you mean 'parquet'?)",
        "ingest.unreadable_files=sikp|ingest.unreadable_files = 'sikp' (from --set) is not one"
            + " of [fail, skip]",
        "evaluate.mode=fsat|evaluate.mode = 'fsat' (from --set) is not one of [fast, full] (did"
            + " you mean 'fast'?)",
        "tracking.mode=off|tracking.mode = 'off' (from --set) is not one of [mlflow, none]",
        "train.device=gpu|train.device = 'gpu' (from --set) is not one of [cpu, cuda, auto]",
        "train.model_format=pkl|train.model_format = 'pkl' (from --set) is not one of [ubj, json]",
        "tracking.model_tags=team|tracking.model_tags (from --set): 'team' is not key=value",
        "evaluate.spec=/no/such/eval.yaml|evaluate.spec (from --set): Cannot read the evaluation"
            + " spec '/no/such/eval.yaml'",
        "features.spec=/no/such/spec.yaml|Cannot read the feature-set spec '/no/such/spec.yaml'",
        "train.feature_set_version=../../escape|train.feature_set_version (from --set): Cannot use"
            + " train.feature_set_version '../../escape'",
        "work_dir=nosuch://b/w|work_dir (from --set): Cannot use nosuch://b/w: no Hadoop"
            + " FileSystem for scheme 'nosuch'",
        "train.params.foo=1|train.params.foo",
        "train.params.colsample_bytre=0.5|did you mean train.params.colsample_bytree?",
        "train.params.max_bin=many|train.params.max_bin",
        "train.params.eta=0.1|Plumb sets eta from train.eta",
      })
  void aBadValueExitsTwoBeforeAnyStageNamingTheKey(String set, String message) {
    String work = tmp.resolve("work").toString();
    long start = System.nanoTime();
    PlumbCliTest.Outcome o =
        PlumbCliTest.plumb(
            "pipeline", "--tracking", "none", "--set", "work_dir=" + work, "--set", set);
    assertThat(o.code()).as(o.err()).isEqualTo(2);
    assertThat(o.err()).contains(message);
    assertThat((System.nanoTime() - start) / 1e9).isLessThan(20);
    assertThat(Path.of(work)).doesNotExist();
  }

  @Test
  void keysListTheXGBoostPassThroughAndAGoodOneLoads() {
    PlumbCliTest.Outcome keys = PlumbCliTest.plumb("keys");
    assertThat(keys.code()).isZero();
    assertThat(keys.out())
        .contains("train.params.<name>", "colsample_bytree", "monotone_constraints");
    PlumbCliTest.Outcome ok =
        PlumbCliTest.plumb(
            "config",
            "--set",
            "train.params.subsample=0.8",
            "--set",
            "train.params.monotone_constraints=amount:1");
    assertThat(ok.code()).as(ok.err()).isZero();
    assertThat(ok.out()).contains("train.params.subsample: \"0.8\"");
  }

  @Test
  void aValueFromTheFileIsNamedAsComingFromTheFile() throws Exception {
    Path conf = tmp.resolve("c.yaml");
    Files.writeString(conf, "evaluate:\n  mode: ful\n");
    PlumbCliTest.Outcome o = PlumbCliTest.plumb("evaluate", "--conf", conf.toString());
    assertThat(o.code()).isEqualTo(2);
    assertThat(o.err()).contains("evaluate.mode = 'ful' (from " + conf + ")");
  }

  @Test
  void aFeatureSetNamedDotDotCannotWriteOutsideTheStore() throws Exception {
    for (String name : List.of("..", ".", "a/b")) {
      Path spec = tmp.resolve("spec.yaml");
      String demo =
          Files.readString(Path.of("..", "conf", "features", "demo.yaml"))
              .replaceFirst("(?m)^name: .*$", "name: \"" + name + "\"");
      Files.writeString(spec, demo);
      PlumbCliTest.Outcome o =
          PlumbCliTest.plumb("features", "--tracking", "none", "--set", "features.spec=" + spec);
      assertThat(o.code()).as(name).isEqualTo(2);
      assertThat(o.err()).contains("name '" + name + "' is not a valid folder name");
    }
  }

  @Test
  void featuresKeyIsAColumnNameAndNotRedactedWhileCloudKeysAre() {
    PlumbConfig config =
        PlumbConfig.load(
            null,
            List.of(
                "features.key=customer_id",
                "spark.conf.spark.hadoop.fs.azure.account.key.acct.dfs.core.windows.net=azsecret",
                "spark.conf.spark.hadoop.fs.s3a.access.key=AKIAEXAMPLE"),
            Map.of());
    Map<String, String> params = config.redacted();
    assertThat(params.get("features.key")).isEqualTo("customer_id");
    assertThat(params.get("spark.conf.spark.hadoop.fs.azure.account.key.acct.dfs.core.windows.net"))
        .isEqualTo("***");
    assertThat(params.get("spark.conf.spark.hadoop.fs.s3a.access.key")).isEqualTo("***");
  }

  @Test
  void anUnknownJobSuggestsTheClosestOne() {
    PlumbCliTest.Outcome o = PlumbCliTest.plumb("trian");
    assertThat(o.code()).isEqualTo(2);
    assertThat(o.err()).contains("unknown job 'trian' (did you mean 'train'?)");
  }

  @Test
  void configPrintsTheResolvedValuesWithTheirPrecedence() throws Exception {
    Path conf = tmp.resolve("c.yaml");
    Files.writeString(conf, "tracking:\n  mode: none\ntrain:\n  eta: 0.2\n");
    PlumbCliTest.Outcome o =
        PlumbCliTest.plumb("config", "--conf", conf.toString(), "--set", "train.max_depth=3");
    assertThat(o.code()).isZero();
    assertThat(o.out())
        .contains("tracking.mode: \"none\"")
        .contains("train.eta: \"0.2\"")
        .contains("train.max_depth: \"3\"");
  }
}

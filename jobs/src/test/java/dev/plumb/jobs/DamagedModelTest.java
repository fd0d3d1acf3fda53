package dev.plumb.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plumb.jobs.tracking.MlflowModelFilesTest;
import dev.plumb.testing.SharedSpark;
import dev.plumb.training.ModelStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A damaged model file handed to {@code plumb evaluate} fails once, on the driver, with one message
 * naming the file and the fix; no Spark task loads it and no stack trace is printed.
 */
@ExtendWith(SharedSpark.class)
class DamagedModelTest {

  @TempDir Path tmp;

  private PlumbCliTest.Outcome evaluate(Path modelDir) {
    return PlumbCliTest.plumb(
        "evaluate",
        "--tracking",
        "none",
        "--set",
        "work_dir=" + tmp.resolve("work"),
        "--set",
        "evaluate.model=" + modelDir);
  }

  private Path modelWith(String name, byte[] booster) throws Exception {
    Path dir = Files.createDirectories(tmp.resolve(name));
    Files.write(dir.resolve(ModelStore.MODEL_FILE), booster);
    Files.writeString(
        dir.resolve(ModelStore.MODEL_META),
        "{\"feature_names\":[\"a\",\"b\",\"c\"],\"label\":\"label\",\"best_iteration\":4,"
            + "\"feature_set_version\":\"0123456789abcdef\","
            + "\"xgboost_params\":{\"objective\":\"binary:logistic\"}}");
    return dir;
  }

  @Test
  void aTruncatedOrForeignModelFileIsNamedWithTheFix() throws Exception {
    byte[] good = MlflowModelFilesTest.trainedBooster(5);
    byte[] random = new byte[4096];
    new java.util.Random(7).nextBytes(random);
    for (var c :
        java.util.Map.of("half", Arrays.copyOf(good, good.length / 2), "random", random)
            .entrySet()) {
      Path dir = modelWith(c.getKey(), c.getValue());
      long start = System.nanoTime();
      PlumbCliTest.Outcome o = evaluate(dir);
      assertThat(o.code()).as(o.err()).isEqualTo(1);
      assertThat(o.err())
          .contains("Cannot load the model file " + dir.resolve(ModelStore.MODEL_FILE))
          .contains("not an intact XGBoost UBJ/JSON model")
          .contains("retrain with './plumb train'")
          .doesNotContain("\tat ")
          .doesNotContain("Job aborted");
      assertThat(o.err().strip().lines().count()).isEqualTo(1);
      assertThat((System.nanoTime() - start) / 1e9).isLessThan(90);
    }
  }
}

package dev.plumb.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plumb.features.io.YamlDocs;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ModelMetadataTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void theMetadataRoundTripsThroughJsonAndOldFilesLoad() throws Exception {
    ModelMetadata m =
        new ModelMetadata(
            "model.ubj",
            "ubj",
            "booster.json",
            List.of("a", "b"),
            "label",
            7,
            12,
            "0123456789abcdef",
            Map.of("objective", "binary:logistic", "eta", 0.1),
            Map.of("validation-logloss", List.of(0.5, 0.25)),
            Map.of("policy", "max_f1", "threshold", 0.375, "split", "validation"));
    Map<String, Object> json =
        JSON.readValue(YamlDocs.toJson(m.toJson()), new TypeReference<>() {});
    assertThat(json.get("format_version")).isEqualTo(2);
    ModelMetadata back = ModelMetadata.fromJson(json, "mem");
    assertThat(back).isEqualTo(m);
    assertThat(back.threshold()).isEqualTo(0.375);
    assertThat(back.objective()).isEqualTo("binary:logistic");
    assertThat(back.iterationEnd()).isEqualTo(8);

    json.remove("format_version");
    json.remove("json_model_file");
    assertThat(ModelMetadata.fromJson(json, "old").jsonModelFile()).isEmpty();

    json.remove("feature_names");
    assertThatThrownBy(() -> ModelMetadata.fromJson(json, "/m/model.json"))
        .hasMessage(
            "Cannot read the model metadata at /m/model.json: field 'feature_names' is missing"
                + " (retrain with './plumb train')");
  }
}

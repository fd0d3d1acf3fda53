package dev.plumb.features;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Spec YAML: parsing, rejection of unknown keys, canonical form and versions. */
class FeatureSetSpecTest {

  static final String SPEC =
      String.join(
          "\n",
          "name: s",
          "label: label",
          "key: id",
          "features:",
          "  - {name: amount, type: numeric}",
          "  - {name: country, type: categorical}",
          "split: {train: 0.7, validation: 0.15}");

  /** The same spec: other key order, comments, defaults written out, numbers spelled otherwise. */
  static final String SAME_SPELLED_OTHERWISE =
      String.join(
          "\n",
          "# a comment",
          "split:",
          "  seed: 42        # the default",
          "  validation: 0.150",
          "  train: 0.70",
          "  by: key_hash",
          "key: id",
          "label: label",
          "name: s",
          "features:",
          "  - type: numeric",
          "    name: amount",
          "    impute: none",
          "    column: amount",
          "  - {type: categorical, name: country, encoding: index}");

  @Test
  void aSpecSpelledOtherwiseHasTheSameCanonicalFormAndVersion() {
    FeatureSetSpec a = FeatureSetSpec.parse(SPEC, "a");
    FeatureSetSpec b = FeatureSetSpec.parse(SAME_SPELLED_OTHERWISE, "b");
    assertThat(b).isEqualTo(a);
    assertThat(b.canonical()).isEqualTo(a.canonical());
    assertThat(FeatureSetVersion.of("fp", b)).isEqualTo(FeatureSetVersion.of("fp", a));
    assertThat(a.split()).isEqualTo(new SplitPolicy.KeyHash(0.7, 0.15, 42));
  }

  @Test
  void anyChangeToTheSpecGivesANewVersion() {
    FeatureSetVersion base = FeatureSetVersion.of("fp", FeatureSetSpec.parse(SPEC, "a"));
    for (String changed :
        new String[] {
          SPEC.replace("train: 0.7", "train: 0.6"),
          SPEC.replace("type: categorical}", "type: categorical, encoding: one_hot}"),
          SPEC.replace("{name: amount, type: numeric}", "{name: amount, type: log1p}"),
          SPEC.replace("split: {", "split: {seed: 7, "),
        }) {
      assertThat(FeatureSetVersion.of("fp", FeatureSetSpec.parse(changed, "changed")))
          .as(changed)
          .isNotEqualTo(base);
    }
    assertThat(FeatureSetVersion.of("other fingerprint", FeatureSetSpec.parse(SPEC, "a")))
        .isNotEqualTo(base);
  }

  @Test
  void unknownKeysAreRejectedWithTheValidOnes() {
    assertThatThrownBy(() -> FeatureSetSpec.parse(SPEC + "\nlabels: x", "spec f.yaml"))
        .hasMessage(
            "Cannot read spec f.yaml: unknown key 'labels' in the top level; valid keys:"
                + " [event_time, features, key, label, name, split]");
    assertThatThrownBy(
            () ->
                FeatureSetSpec.parse(
                    SPEC.replace("type: numeric}", "type: numeric, buckets: 3}"), "spec f.yaml"))
        .hasMessage(
            "Cannot read spec f.yaml: unknown key 'buckets' in feature 'amount'; valid keys:"
                + " [column, impute, name, type]");
    assertThatThrownBy(
            () -> FeatureSetSpec.parse(SPEC.replace("type: numeric", "type: nummeric"), "f"))
        .hasMessageContaining("unknown feature type 'nummeric' for feature 'amount'")
        .hasMessageContaining("[numeric, log1p, clip, quantile_buckets, categorical");
    assertThatThrownBy(() -> FeatureSetSpec.parse(SPEC.replace("train:", "trian:"), "f"))
        .hasMessageContaining("unknown key 'trian' in split; valid keys: [by, seed, train,");
  }

  @Test
  void invalidSpecsFailWithTheReasonAndTheFix() {
    assertThatThrownBy(
            () ->
                FeatureSetSpec.parse(
                    SPEC.replace(
                        "{name: amount, type: numeric}", "{name: l, type: log1p, column: label}"),
                    "f"))
        .hasMessage(
            "Cannot define feature set 's': the label column 'label' is an input of feature(s)"
                + " [l] (label leakage) (remove it from the feature inputs)");
    assertThatThrownBy(
            () ->
                FeatureSetSpec.parse(
                    SPEC.replace(
                        "{name: amount, type: numeric}",
                        "{name: n, type: window, fn: count, days: 7}"),
                    "f"))
        .hasMessageContaining("need an event-time column")
        .hasMessageContaining("set event_time:");
    assertThatThrownBy(
            () ->
                FeatureSetSpec.parse(
                    SPEC.replace(
                        "split: {train: 0.7, validation: 0.15}",
                        "event_time: t\nsplit: {by: time, validation_from: '2026-02-01',"
                            + " test_from: '2026-01-01'}"),
                    "f"))
        .hasMessageContaining("validation_from 2026-02-01 is not before test_from 2026-01-01");
    assertThatThrownBy(
            () ->
                FeatureSetSpec.parse(
                    SPEC.replace("{name: amount, type: numeric}", "{name: amount, type: clip}"),
                    "f"))
        .hasMessage(
            "Cannot define feature 'amount': clip needs min, max or both (add min: and/or max:)");
  }

  @Test
  void theDemoSpecLoads() {
    FeatureSetSpec demo =
        FeatureSetSpec.load(
            new dev.plumb.features.io.HadoopStorage(new org.apache.hadoop.conf.Configuration()),
            Path.of("..", "conf", "features", "demo.yaml").toAbsolutePath().toString());
    assertThat(demo.name()).isEqualTo("demo");
    assertThat(demo.eventTime()).isEqualTo("event_date");
    assertThat(demo.features().stream().map(FeatureDef::name).limit(6))
        .containsExactly("amount", "age", "tenure_days", "num_txn_30d", "country", "channel");
  }
}

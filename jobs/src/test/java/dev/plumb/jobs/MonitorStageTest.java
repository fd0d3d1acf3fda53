package dev.plumb.jobs;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.pmod;
import static org.apache.spark.sql.functions.stddev_samp;
import static org.apache.spark.sql.functions.when;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.plumb.evaluation.DriftReference;
import dev.plumb.evaluation.GateResult;
import dev.plumb.evaluation.MonitorSpec;
import dev.plumb.features.FeatureSetSpec;
import dev.plumb.features.Splits;
import dev.plumb.features.ingest.IngestRun;
import dev.plumb.features.store.FeatureStore;
import dev.plumb.jobs.tracking.NoTracking;
import dev.plumb.testing.SharedSpark;
import dev.plumb.training.ModelFiles;
import dev.plumb.training.ModelMetadata;
import dev.plumb.training.ModelStore;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code plumb monitor} against the training reference stored with the model: the model's own rows
 * pass every gate; one numeric feature shifted by a standard deviation and a new country on a fifth
 * of the rows fail them, flag exactly those features (and the window that reads country) and name
 * amount and country as the columns that moved; the Prometheus text is escaped as the format says.
 */
@ExtendWith(SharedSpark.class)
class MonitorStageTest {

  @TempDir Path tmp;

  @Test
  void cleanRowsPassAndShiftedRowsFlagTheFeaturesThatMoved(SparkSession spark) throws Exception {
    PlumbConfig config = FeaturesStageTest.demoConfig(spark, tmp, 6000, 7, "train.num_round=20");
    IngestRun.Result ingest = IngestStage.run(spark, config, new NoTracking());
    FeaturesStage.Result features = FeaturesStage.run(spark, config, new NoTracking());
    TrainStage.Result trained = TrainStage.run(spark, config, new NoTracking());
    String modelDir = trained.modelDir();

    // The training reference: every feature's and the score's train-split shares sum to 1.
    Path referenceFile = Path.of(modelDir).resolve(ModelStore.REFERENCE);
    assertThat(referenceFile).exists();
    JsonNode reference = new ObjectMapper().readTree(referenceFile.toFile());
    long trainRows =
        spark
            .read()
            .format("delta")
            .load(FeatureStore.data(features.directory()))
            .filter(col(Splits.COLUMN).equalTo(Splits.TRAIN))
            .count();
    assertThat(reference.get("rows").asLong()).isEqualTo(trainRows);
    assertThat(reference.get("split").asText()).isEqualTo("train");
    List<String> names = new ArrayList<>();
    reference.get("features").fieldNames().forEachRemaining(names::add);
    assertThat(names).containsExactlyElementsOf(trained.model().featureNames());
    for (String f : names) {
      JsonNode h = reference.get("features").get(f);
      assertThat(sum(h.get("shares"))).as(f).isCloseTo(1.0, within(1e-9));
      assertThat(h.get("shares").size()).isEqualTo(h.get("cuts").size() + 2);
    }
    assertThat(sum(reference.get("score").get("shares"))).isCloseTo(1.0, within(1e-9));
    assertThat(reference.get("score").get("cuts").size()).isBetween(5, 9);
    double threshold = reference.get("threshold").asDouble();
    assertThat(threshold).isEqualTo(TrainStage.modelStore(config).metadata(modelDir).threshold());
    assertThat(reference.get("positive_rate").asDouble()).isBetween(0.001, 0.999);

    // Measured in two passes without a cache (the edges from a scored sample, the shares counted
    // while scoring), the reference equals its definition: DriftReference.fit on the scored rows.
    // Also where the edges come from a seeded sample: 64 copies of the train split, over FIT_ROWS.
    ModelStore models = TrainStage.modelStore(config);
    ModelMetadata meta = models.metadata(modelDir);
    byte[] booster = models.booster(modelDir);
    Dataset<Row> trainSplit =
        spark
            .read()
            .format("delta")
            .load(FeatureStore.data(features.directory()))
            .filter(col(Splits.COLUMN).equalTo(Splits.TRAIN));
    Dataset<Row> copies = trainSplit;
    for (int i = 0; i < 6; i++) {
      copies = copies.union(copies);
    }
    assertThat(trainRows * 64).isGreaterThan(200_000);
    for (Dataset<Row> rows : List.of(trainSplit, copies)) {
      Dataset<Row> scored =
          ModelFiles.score(booster, meta.featureNames(), rows, meta.iterationEnd()).cache();
      DriftReference definition =
          DriftReference.fit(
              scored,
              meta.featureNames(),
              ModelFiles.SCORE,
              threshold,
              DriftReference.DEFAULT_BINS,
              Splits.TRAIN);
      scored.unpersist();
      DriftReference measured =
          TrainingReference.measure(
              rows, -1, booster, meta.featureNames(), meta.iterationEnd(), threshold, 0);
      assertThat(measured.rows()).isEqualTo(rows.count());
      assertThat(new ObjectMapper().writeValueAsString(measured.toJson()))
          .isEqualTo(new ObjectMapper().writeValueAsString(definition.toJson()));
      if (rows == trainSplit) {
        // The reference the train stage wrote is this one, at the threshold it chose.
        assertThat(
                new ObjectMapper()
                    .readTree(new ObjectMapper().writeValueAsString(measured.toJson())))
            .isEqualTo(reference);
      }
    }
    // Over train.reference_max_rows, a seeded sample of about that many rows: the same on every
    // run, and each share within sampling error of the share every row has on the same bins.
    long copyRows = copies.count();
    DriftReference sampled =
        TrainingReference.measure(
            copies, copyRows, booster, meta.featureNames(), meta.iterationEnd(), threshold, 60_000);
    assertThat(sampled.rows()).isBetween(58_500L, 61_500L).isLessThan(copyRows);
    assertThat(
            new ObjectMapper()
                .writeValueAsString(
                    TrainingReference.measure(
                            copies,
                            copyRows,
                            booster,
                            meta.featureNames(),
                            meta.iterationEnd(),
                            threshold,
                            60_000)
                        .toJson()))
        .isEqualTo(new ObjectMapper().writeValueAsString(sampled.toJson()));
    Dataset<Row> scoredCopies =
        ModelFiles.score(booster, meta.featureNames(), copies, meta.iterationEnd()).cache();
    DriftReference.Profile everyRow = sampled.profile(scoredCopies, ModelFiles.SCORE);
    scoredCopies.unpersist();
    assertThat(everyRow.rows()).isEqualTo(copyRows);
    for (String f : meta.featureNames()) {
      double[] share = sampled.featureShares().get(f);
      double[] all = everyRow.featureShares().get(f);
      for (int b = 0; b < share.length; b++) {
        assertThat(share[b]).as(f + " bin " + b).isCloseTo(all[b], within(0.01));
      }
    }
    for (int b = 0; b < sampled.scoreShares().length; b++) {
      assertThat(sampled.scoreShares()[b])
          .as("score bin " + b)
          .isCloseTo(everyRow.scoreShares()[b], within(0.01));
    }
    assertThat(sampled.positiveRate()).isCloseTo(everyRow.positiveRate(), within(0.01));
    assertThat(
            new ObjectMapper()
                .readTree(
                    new ObjectMapper()
                        .writeValueAsString(
                            TrainingReference.measure(
                                    trainSplit,
                                    trainRows,
                                    booster,
                                    meta.featureNames(),
                                    meta.iterationEnd(),
                                    threshold,
                                    0)
                                .toJson())))
        .isEqualTo(reference);

    // (a) The rows the model was built from: nothing moved.
    MonitorStage.Result clean =
        MonitorStage.run(spark, config, modelDir, modelDir, ingest.cleanTable());
    assertThat(clean.passed()).as(clean.gates().toString()).isTrue();
    assertThat(clean.gates()).hasSize(5).allMatch(GateResult::passed);
    assertThat(clean.flagged()).isEmpty();
    assertThat(clean.movedColumns()).isEmpty();
    assertThat(clean.rows()).isEqualTo(ingest.rowsClean());
    assertThat(clean.rowsScored()).isEqualTo(ingest.rowsClean());
    Map<String, Double> m = clean.metrics();
    for (String f : names) {
      assertThat(m.get("feature." + f + ".psi")).as(f).isBetween(0.0, 0.02);
      assertThat(m.get("feature." + f + ".null_share_change")).as(f).isCloseTo(0, within(0.01));
    }
    assertThat(m.get("score.psi")).isBetween(0.0, 0.05);
    assertThat(m.get("score.positive_rate_change")).isCloseTo(0, within(0.03));
    assertThat(m.get("feature.country.unseen_share")).isZero();
    assertThat(m.get("feature.channel.unseen_share")).isZero();
    assertThat(m.get("contract.quarantine_rate")).isZero();
    assertThat(m.get("column.amount.out_of_contract_share")).isZero();
    assertThat(m.get("column.country.out_of_contract_share")).isZero();
    assertThat(m.get("rows")).isEqualTo((double) ingest.rowsClean());
    assertThat(Path.of(clean.report())).exists();

    // (a2) The same rows plus 50 that cannot be scored (a null amount): they are counted (rows,
    // contract) but neither scored nor counted by the window features of the others, so every
    // drift measure is exactly that of (a).
    Dataset<Row> cleanRows = spark.read().format("delta").load(ingest.cleanTable());
    String mixedInput = tmp.resolve("mixed-raw").toString();
    cleanRows
        .unionByName(
            cleanRows
                .limit(50)
                .withColumn("id", col("id").plus(1_000_000_000L))
                .withColumn("amount", lit(null).cast("double")))
        .write()
        .format("delta")
        .save(mixedInput);
    MonitorStage.Result mixed = MonitorStage.run(spark, config, modelDir, modelDir, mixedInput);
    assertThat(mixed.rows()).isEqualTo(ingest.rowsClean() + 50);
    assertThat(mixed.rowsScored()).isEqualTo(ingest.rowsClean());
    for (String f : names) {
      assertThat(mixed.metrics().get("feature." + f + ".psi"))
          .as(f)
          .isEqualTo(m.get("feature." + f + ".psi"));
    }
    assertThat(mixed.metrics().get("score.psi")).isEqualTo(m.get("score.psi"));
    assertThat(mixed.metrics().get("contract.quarantine_rate"))
        .isCloseTo(50.0 / (ingest.rowsClean() + 50), within(1e-12));
    assertThat(Path.of(clean.html())).exists();
    assertThat(Files.readString(Path.of(clean.prometheus()))).contains("plumb_monitor_passed{");

    // (b) amount up by one standard deviation of the train split, a new country on 1 row in 5.
    double sd =
        spark
            .read()
            .format("delta")
            .load(FeatureStore.data(features.directory()))
            .filter(col(Splits.COLUMN).equalTo(Splits.TRAIN))
            .agg(stddev_samp("amount"))
            .first()
            .getDouble(0);
    Dataset<Row> shifted =
        spark
            .read()
            .format("delta")
            .load(ingest.cleanTable())
            .withColumn("amount", col("amount").plus(sd))
            .withColumn(
                "country",
                when(pmod(col("id"), lit(5)).equalTo(0), lit("MX")).otherwise(col("country")));
    String shiftedPath = tmp.resolve("shifted").toString();
    shifted.write().parquet(shiftedPath);
    long mx = shifted.filter(col("country").equalTo("MX")).count();
    long rows = shifted.count();
    MonitorStage.Result moved = MonitorStage.run(spark, config, modelDir, modelDir, shiftedPath);
    assertThat(moved.passed()).isFalse();
    Map<String, Double> s = moved.metrics();
    assertThat(s.get("feature.amount.psi")).isGreaterThan(0.2);
    assertThat(s.get("feature.country.psi")).isGreaterThan(0.2);
    assertThat(s.get("feature.country.unseen_share")).isCloseTo((double) mx / rows, within(1e-12));
    assertThat(s.get("column.country.out_of_contract_share"))
        .isCloseTo((double) mx / rows, within(1e-12));
    // MX is unseen in training (drift) and outside the contract's allowed list (a breach too).
    assertThat(s.get("contract.quarantine_rate")).isCloseTo((double) mx / rows, within(1e-12));
    assertThat(s.get("column.amount.out_of_contract_share")).isZero();
    for (String f : List.of("age", "tenure_days", "num_txn_30d", "channel", "event_day_of_week")) {
      assertThat(s.get("feature." + f + ".psi")).as(f).isLessThan(0.02);
    }
    Set<String> flagged = new LinkedHashSet<>();
    moved.flagged().forEach(f -> flagged.add(f.feature()));
    assertThat(flagged).contains("amount", "country");
    assertThat(flagged).isSubsetOf("amount", "country", "country_txn_7d");
    assertThat(moved.movedColumns()).containsExactly("amount", "country");
    MonitorStage.Flagged country =
        moved.flagged().stream().filter(f -> f.feature().equals("country")).findFirst().get();
    assertThat(country.metrics()).contains("feature.country.psi", "feature.country.unseen_share");
    assertThat(country.inputs()).containsExactly("country");
    assertThat(country.movedInputs()).containsExactly("country");
    Map<String, Boolean> gates = new LinkedHashMap<>();
    moved.gates().forEach(g -> gates.put(g.name(), g.passed()));
    assertThat(gates)
        .containsEntry("feature.*.psi", false)
        .containsEntry("feature.*.unseen_share", false)
        .containsEntry("feature.*.null_share_change", true)
        .containsEntry("contract.quarantine_rate", false);

    String name = Path.of(modelDir).getFileName().toString();
    String prom = Files.readString(Path.of(moved.prometheus()));
    assertThat(prom)
        .contains("# HELP plumb_monitor_feature_psi ")
        .contains("# TYPE plumb_monitor_feature_psi gauge\n")
        .contains(
            "plumb_monitor_feature_psi{model=\""
                + name
                + "\",feature=\"amount\"} "
                + PrometheusText.value(s.get("feature.amount.psi"))
                + "\n")
        .contains(
            "plumb_monitor_feature_unseen_share{model=\""
                + name
                + "\",feature=\"country\"} "
                + PrometheusText.value(s.get("feature.country.unseen_share"))
                + "\n")
        .contains("plumb_monitor_gate_passed{model=\"" + name + "\",gate=\"feature.*.psi\"} 0\n")
        .contains(
            "plumb_monitor_gate_passed{model=\""
                + name
                + "\",gate=\"feature.*.null_share_change\"} 1\n")
        .contains("plumb_monitor_feature_flagged{model=\"" + name + "\",feature=\"amount\"} 1\n")
        .contains("plumb_monitor_feature_flagged{model=\"" + name + "\",feature=\"age\"} 0\n")
        .contains("# TYPE plumb_monitor_passed gauge\nplumb_monitor_passed{model=\"" + name)
        .contains("plumb_monitor_passed{model=\"" + name + "\"} 0\n")
        .contains("plumb_monitor_rows{model=\"" + name + "\"} " + rows + "\n");
    JsonNode report = new ObjectMapper().readTree(Path.of(moved.report()).toFile());
    assertThat(report.get("passed").asBoolean()).isFalse();
    assertThat(report.get("moved_columns").toString()).isEqualTo("[\"amount\",\"country\"]");
    assertThat(report.get("metrics").get("feature.amount.psi").asDouble())
        .isEqualTo(s.get("feature.amount.psi"));
    assertThat(Files.readString(Path.of(moved.html())))
        .contains("Gates FAILED")
        .contains("amount")
        .doesNotContain("<script");

    // A model trained before reference.json existed: the monitor measures the train split again.
    Files.delete(referenceFile);
    MonitorStage.Result measured =
        MonitorStage.run(spark, config, modelDir, modelDir, ingest.cleanTable());
    assertThat(measured.referenceSource()).contains("measured now");
    assertThat(measured.passed()).isTrue();
    for (String f : names) {
      assertThat(measured.metrics().get("feature." + f + ".psi"))
          .as(f)
          .isCloseTo(m.get("feature." + f + ".psi"), within(1e-3));
    }
  }

  private static double sum(JsonNode values) {
    double total = 0;
    for (JsonNode v : values) {
      total += v.asDouble();
    }
    return total;
  }

  @Test
  void labelValuesAreEscapedAsTheExpositionFormatSays() {
    assertThat(PrometheusText.escapeLabelValue("a\\b\"c\nd")).isEqualTo("a\\\\b\\\"c\\nd");
    String text =
        new PrometheusText()
            .gauge("plumb_monitor_x", "help with \\ and\nnewline", Map.of("m", "x\"y\\z\n"), 0.25)
            .gauge("plumb_monitor_x", "ignored", Map.of("m", "plain"), Double.NaN)
            .gauge("plumb_monitor_y", "y", Map.of(), 3)
            .render();
    assertThat(text)
        .isEqualTo(
            "# HELP plumb_monitor_x help with \\\\ and\\nnewline\n"
                + "# TYPE plumb_monitor_x gauge\n"
                + "plumb_monitor_x{m=\"x\\\"y\\\\z\\n\"} 0.25\n"
                + "plumb_monitor_x{m=\"plain\"} NaN\n"
                + "# HELP plumb_monitor_y y\n"
                + "# TYPE plumb_monitor_y gauge\n"
                + "plumb_monitor_y 3\n");
    assertThatThrownBy(() -> new PrometheusText().gauge("bad-name", "", Map.of(), 1))
        .hasMessageContaining("not a valid metric name");
    assertThat(PrometheusText.value(Double.POSITIVE_INFINITY)).isEqualTo("+Inf");
    assertThat(PrometheusText.value(1e-5)).isEqualTo("1.0E-5");
  }

  @Test
  void gaugesArePutToThePushgatewayAndAFailedPushIsOnlyAWarning() throws Exception {
    assertThat(PrometheusText.pushUrl("http://gw:9091/", "plumb_monitor", Map.of("model", "m-1")))
        .isEqualTo("http://gw:9091/metrics/job/plumb_monitor/model/m-1");
    assertThat(
            PrometheusText.pushUrl(
                "http://gw:9091", "plumb_monitor", Map.of("model", "models:/fraud@champion")))
        .isEqualTo(
            "http://gw:9091/metrics/job/plumb_monitor/model@base64/"
                + java.util.Base64.getUrlEncoder()
                    .withoutPadding()
                    .encodeToString("models:/fraud@champion".getBytes(StandardCharsets.UTF_8)));
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    AtomicReference<String> seen = new AtomicReference<>();
    server.createContext(
        "/",
        exchange -> {
          seen.set(
              exchange.getRequestMethod()
                  + " "
                  + exchange.getRequestURI().getPath()
                  + " "
                  + exchange.getRequestHeaders().getFirst("Content-Type")
                  + "\n"
                  + new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
          int status = exchange.getRequestURI().getPath().contains("/model/broken") ? 400 : 200;
          exchange.sendResponseHeaders(status, -1);
          exchange.close();
        });
    server.start();
    try {
      String base = "http://127.0.0.1:" + server.getAddress().getPort();
      String text = "plumb_monitor_passed 1\n";
      assertThat(
              PrometheusText.push(
                  PrometheusText.pushUrl(base, "plumb_monitor", Map.of("model", "m1")),
                  text,
                  Duration.ofSeconds(5)))
          .isTrue();
      assertThat(seen.get())
          .isEqualTo(
              "PUT /metrics/job/plumb_monitor/model/m1 "
                  + PrometheusText.CONTENT_TYPE
                  + "\n"
                  + text);
      assertThat(
              PrometheusText.push(
                  PrometheusText.pushUrl(base, "plumb_monitor", Map.of("model", "broken")),
                  text,
                  Duration.ofSeconds(5)))
          .isFalse();
    } finally {
      server.stop(0);
    }
    // Nothing listens there: a warning, not an exception.
    int port;
    try (java.net.ServerSocket s =
        new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    assertThat(
            PrometheusText.push(
                "http://127.0.0.1:" + port + "/metrics/job/x", "", Duration.ofSeconds(2)))
        .isFalse();
  }

  @Test
  void aFlaggedFeatureOfSeveralInputsNamesOnlyTheInputsThatMoved() {
    FeatureSetSpec spec =
        FeatureSetSpec.parse(
            String.join(
                "\n",
                "name: t",
                "label: label",
                "key: id",
                "event_time: ts",
                "features:",
                "  - {name: amount, type: numeric}",
                "  - {name: age, type: numeric}",
                "  - {name: per_year, type: ratio, left: amount, right: age}",
                "  - {name: spend_7d, type: window, fn: sum, days: 7, column: amount, by: country}",
                "  - {name: country, type: categorical}",
                "  - {name: txn_7d, type: window, fn: count, days: 7, by: country}"),
            "test");
    // A count window reads one column, but a thinner input (a sample) moves it without that
    // column moving: it names no moved source on its own.
    assertThat(MonitorStage.flag(spec, Map.of("txn_7d", Set.of("feature.txn_7d.psi"))))
        .extracting(MonitorStage.Flagged::feature, MonitorStage.Flagged::movedInputs)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("txn_7d", List.of()));
    Map<String, Set<String>> blamed = new LinkedHashMap<>();
    blamed.put("per_year", Set.of("feature.per_year.psi"));
    blamed.put("spend_7d", Set.of("feature.spend_7d.psi"));
    assertThat(MonitorStage.flag(spec, blamed))
        .extracting(MonitorStage.Flagged::feature, MonitorStage.Flagged::movedInputs)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("per_year", List.of()),
            org.assertj.core.groups.Tuple.tuple("spend_7d", List.of()));
    blamed.put("amount", Set.of("feature.amount.psi"));
    List<MonitorStage.Flagged> flagged = MonitorStage.flag(spec, blamed);
    assertThat(flagged)
        .extracting(MonitorStage.Flagged::feature, MonitorStage.Flagged::movedInputs)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("amount", List.of("amount")),
            org.assertj.core.groups.Tuple.tuple("per_year", List.of("amount")),
            org.assertj.core.groups.Tuple.tuple("spend_7d", List.of("amount")));
    assertThat(flagged.get(2).inputs()).containsExactly("amount", "country");
  }

  @Test
  void theMonitorSpecRejectsUnknownKeysAndBaselinesAndDefaultsWithoutGates() {
    assertThat(MonitorSpec.parse("gates:\n  - {metric: score.psi, at_most: 0.1}\n", "t").gates())
        .singleElement()
        .satisfies(g -> assertThat(g.atMost()).isEqualTo(0.1));
    assertThat(MonitorSpec.parse("{}\n", "t").gates()).hasSize(5);
    assertThat(MonitorSpec.parse("gates: []\n", "t").gates()).isEmpty();
    assertThatThrownBy(() -> MonitorSpec.parse("gate: []\n", "spec x"))
        .hasMessageContaining("unknown key 'gate'")
        .hasMessageContaining("[gates]");
    assertThatThrownBy(
            () ->
                MonitorSpec.parse(
                    "gates:\n  - {metric: score.psi, at_most: 0.1, baseline: zero_rule}\n", "t"))
        .hasMessageContaining("unknown key 'baseline'")
        .hasMessageContaining("at_most");
    assertThatThrownBy(() -> MonitorSpec.parse("gates:\n  - {metric: score.psi}\n", "t"))
        .hasMessageContaining("needs at_least and/or at_most");
  }

  @Test
  void theShippedMonitorSpecLoadsWithTheDefaultGates() {
    PlumbConfig config =
        PlumbConfig.load(
            Path.of("..", "conf", "local.yaml").toAbsolutePath().toString(),
            List.of("work_dir=" + tmp.resolve("w")),
            Map.of());
    assertThat(config.monitorSpec()).isEqualTo(MonitorSpec.defaults());
    assertThatThrownBy(
            () ->
                PlumbConfig.load(null, List.of("monitor.pushgateway_url=localhost:9091"), Map.of()))
        .hasMessageContaining("monitor.pushgateway_url")
        .hasMessageContaining("not an http:// or https:// URL");
  }
}

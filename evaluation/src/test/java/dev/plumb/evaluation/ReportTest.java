package dev.plumb.evaluation;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plumb.testing.SharedSpark;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(SharedSpark.class)
class ReportTest {

  static EvalReport report(SparkSession spark) {
    return Evaluator.evaluate(
        Fixtures.input(Fixtures.frame(spark, Fixtures.random(2000, 31))),
        Fixtures.spec(
            EvalSpec.Mode.FULL,
            List.of("group"),
            List.of(Gate.atLeast("roc_auc", 0.99), Gate.atMost("ece", 1.0))));
  }

  @Test
  void theJsonRoundTripsEveryMetricAndTheCurves(SparkSession spark) throws Exception {
    EvalReport r = report(spark);
    ObjectMapper json = new ObjectMapper();
    Map<String, Object> back =
        json.readValue(json.writeValueAsString(r.toJson()), new TypeReference<>() {});
    @SuppressWarnings("unchecked")
    Map<String, Object> metrics = (Map<String, Object>) back.get("metrics");
    assertThat(metrics).hasSameSizeAs(r.metrics());
    r.metrics()
        .forEach(
            (k, v) -> {
              if (Double.isFinite(v)) {
                assertThat(((Number) metrics.get(k)).doubleValue()).as(k).isEqualTo(v);
              } else {
                assertThat(metrics.get(k)).as(k).isNull();
              }
            });
    assertThat(back.get("passed")).isEqualTo(false);
    assertThat((List<?>) back.get("threshold_sweep")).hasSize(101);
    assertThat((List<?>) back.get("roc_curve")).hasSize(r.roc().size());
    assertThat(back.get("confusion_matrix"))
        .isEqualTo(
            Map.of(
                "tp", (int) r.confusion().tp(),
                "fp", (int) r.confusion().fp(),
                "tn", (int) r.confusion().tn(),
                "fn", (int) r.confusion().fn()));
  }

  @Test
  void theHtmlIsSelfContainedAndDrawsEveryChart(SparkSession spark) {
    EvalReport r = report(spark);
    String html = HtmlReport.render(r, "Test <report>");
    assertThat(html).startsWith("<!DOCTYPE html>").contains("<title>Test &lt;report&gt;</title>");
    // Offline: no scripts, no external resources; the only URL is the SVG namespace.
    assertThat(html).doesNotContain("<script").doesNotContain("<link").doesNotContain("src=");
    assertThat(html.replace("http://www.w3.org/2000/svg", "")).doesNotContain("http");
    for (String chart :
        List.of(
            "ROC curve",
            "Precision-recall curve",
            "Reliability curve",
            "Threshold sweep (101 thresholds)",
            "Confusion matrix",
            "ROC-AUC per slice")) {
      assertThat(html).contains("<figcaption>" + chart);
    }
    // ROC, PR, reliability and the sweep's four lines: 7 polylines with points.
    Matcher m = Pattern.compile("<polyline class=\"series\"[^>]*points=\"([^\"]+)\"").matcher(html);
    int lines = 0;
    while (m.find()) {
      lines++;
      assertThat(m.group(1).split(" ").length).isGreaterThan(1);
    }
    assertThat(lines).isEqualTo(7);
    assertThat(html).contains("class=\"fail\">FAIL").contains("class=\"pass\">pass");
    assertThat(html).contains(String.format("TP %,d", (long) r.confusion().tp()));
    assertThat(html.split("class=\"bar\"", -1)).hasSize(4);
    // The areas are named for what they are, and defined on the page.
    assertThat(html)
        .contains(
            "<figcaption>Precision-recall curve (average precision "
                + String.format(java.util.Locale.ROOT, "%.4f", r.headline().averagePrecision()))
        .contains("<h2>Metric definitions</h2>")
        .contains("<dt>roc_auc</dt>", "Mann-Whitney", "<dt>average_precision</dt>", "step-wise")
        .contains("<tr><td>average_precision</td>")
        .doesNotContain("pr_auc");
  }
}

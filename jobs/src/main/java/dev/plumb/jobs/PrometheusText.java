package dev.plumb.jobs;

import dev.plumb.features.io.Log;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Gauges in Prometheus' text exposition format (version 0.0.4): one {@code # HELP} and {@code #
 * TYPE} line per family, then its samples; label values escaped as the format requires (backslash,
 * double quote, line feed). What {@code plumb monitor} writes to {@code monitor.prom} (for a
 * node-exporter textfile collector) and pushes to a Pushgateway.
 */
final class PrometheusText {

  /** The content type of the text format. */
  static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  private final Map<String, Family> families = new LinkedHashMap<>();

  private record Family(String help, List<String> samples) {}

  /** Adds one sample of the gauge {@code name}; the first sample of a family sets its help. */
  PrometheusText gauge(String name, String help, Map<String, String> labels, double value) {
    if (!name.matches("[a-zA-Z_:][a-zA-Z0-9_:]*")) {
      throw new IllegalArgumentException(
          "Cannot write the Prometheus gauge '" + name + "': not a valid metric name");
    }
    StringBuilder sample = new StringBuilder(name);
    if (!labels.isEmpty()) {
      List<String> pairs = new ArrayList<>();
      labels.forEach((k, v) -> pairs.add(k + "=\"" + escapeLabelValue(v) + "\""));
      sample.append('{').append(String.join(",", pairs)).append('}');
    }
    sample.append(' ').append(value(value));
    families
        .computeIfAbsent(name, n -> new Family(help, new ArrayList<>()))
        .samples()
        .add(sample.toString());
    return this;
  }

  /** The exposition text, families in the order first added, ending with a line feed. */
  String render() {
    StringBuilder sb = new StringBuilder();
    families.forEach(
        (name, f) -> {
          sb.append("# HELP ").append(name).append(' ').append(escapeHelp(f.help())).append('\n');
          sb.append("# TYPE ").append(name).append(" gauge\n");
          f.samples().forEach(s -> sb.append(s).append('\n'));
        });
    return sb.toString();
  }

  /**
   * A label value as the format writes it: {@code \} as {@code \\}, {@code "} as {@code \"}, a line
   * feed as {@code \n}.
   */
  static String escapeLabelValue(String v) {
    return v.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
  }

  /** Help text escapes backslash and line feed only. */
  private static String escapeHelp(String v) {
    return v.replace("\\", "\\\\").replace("\n", "\\n");
  }

  /** A sample value: Go's float syntax, with NaN and the infinities spelled as Prometheus does. */
  static String value(double v) {
    if (Double.isNaN(v)) {
      return "NaN";
    }
    if (Double.isInfinite(v)) {
      return v > 0 ? "+Inf" : "-Inf";
    }
    if (v == Math.rint(v) && Math.abs(v) < 1e15) {
      return String.format(Locale.ROOT, "%d", (long) v);
    }
    return Double.toString(v);
  }

  /**
   * The Pushgateway URL of a grouping key: {@code <base>/metrics/job/<job>/<label>/<value>...}; a
   * value that is empty or holds anything but letters, digits, {@code . _ -} is written in the
   * Pushgateway's base64url form ({@code <label>@base64/<encoded>}).
   */
  static String pushUrl(String base, String job, Map<String, String> grouping) {
    StringBuilder url = new StringBuilder(base.replaceAll("/+$", ""));
    url.append("/metrics").append(segment("job", job));
    grouping.forEach((k, v) -> url.append(segment(k, v)));
    return url.toString();
  }

  private static String segment(String label, String value) {
    if (value.matches("[A-Za-z0-9._-]+")) {
      return "/" + label + "/" + value;
    }
    String encoded =
        value.isEmpty()
            ? "="
            : Base64.getUrlEncoder()
                .withoutPadding()
                .encodeToString(value.getBytes(StandardCharsets.UTF_8));
    return "/" + label + "@base64/" + encoded;
  }

  /**
   * PUTs {@code text} to {@code url} (replacing the group's metrics); a failure (unreachable, a
   * timeout, a status other than 2xx) is logged as a warning and returns false: monitoring data
   * that did not reach the gateway must not fail the job that measured it.
   */
  static boolean push(String url, String text, Duration timeout) {
    try {
      HttpClient client = HttpClient.newBuilder().connectTimeout(timeout).build();
      HttpRequest request =
          HttpRequest.newBuilder(URI.create(url))
              .timeout(timeout)
              .header("Content-Type", CONTENT_TYPE)
              .PUT(HttpRequest.BodyPublishers.ofString(text, StandardCharsets.UTF_8))
              .build();
      HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() / 100 != 2) {
        Log.warn(
            "monitor: could not push the gauges to "
                + url
                + ": HTTP "
                + response.statusCode()
                + " "
                + response.body().strip()
                + " (the report files are written; check monitor.pushgateway_url)");
        return false;
      }
      Log.info("monitor: gauges pushed to " + url);
      return true;
    } catch (java.io.IOException | RuntimeException e) {
      Log.warn(
          "monitor: could not push the gauges to "
              + url
              + ": "
              + e
              + " (the report files are written; check monitor.pushgateway_url)");
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      Log.warn("monitor: pushing the gauges to " + url + " was interrupted");
      return false;
    }
  }
}

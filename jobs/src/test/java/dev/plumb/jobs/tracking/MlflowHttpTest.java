package dev.plumb.jobs.tracking;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The HTTP edge of tracking: auth from the environment, and retries driven by what a server
 * answers. Faults come from a real socket: a tiny HTTP server that answers 503/429 a few times, a
 * 4xx, or a socket that accepts and never answers.
 */
class MlflowHttpTest {

  private HttpServer server;
  private final List<String> authHeaders = new ArrayList<>();

  /** Answers {@code failures} times with {@code status}, then 200 {"ok": true}. */
  private String serve(int status, int failures, String failureBody, AtomicInteger calls)
      throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/",
        exchange -> {
          int n = calls.incrementAndGet();
          String auth = exchange.getRequestHeaders().getFirst("Authorization");
          authHeaders.add(auth == null ? "" : auth);
          exchange.getRequestBody().readAllBytes();
          boolean fail = n <= failures;
          byte[] body = (fail ? failureBody : "{\"ok\": true}").getBytes(StandardCharsets.UTF_8);
          if (fail && status == 429) {
            exchange.getResponseHeaders().add("Retry-After", "0");
          }
          exchange.sendResponseHeaders(fail ? status : 200, body.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
          }
        });
    server.start();
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.stop(0);
    }
  }

  private static MlflowHttp client(String uri, Map<String, String> env, int budgetSeconds) {
    return new MlflowHttp(
        MlflowHttp.resolve(uri, env), Duration.ofSeconds(2), Duration.ofSeconds(budgetSeconds));
  }

  @Test
  void serverErrorsAndTooManyRequestsAreRetriedUntilTheServerAnswers() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    String uri = serve(503, 3, "{\"error_code\": \"TEMPORARILY_UNAVAILABLE\"}", calls);
    assertThat(
            client(uri, Map.of(), 30)
                .post("log", "runs/log-batch", Map.of())
                .path("ok")
                .asBoolean())
        .isTrue();
    assertThat(calls.get()).isEqualTo(4);
    server.stop(0);

    AtomicInteger calls429 = new AtomicInteger();
    String uri429 = serve(429, 2, "slow down", calls429);
    assertThat(
            client(uri429, Map.of(), 30)
                .post("log", "runs/log-batch", Map.of())
                .path("ok")
                .asBoolean())
        .isTrue();
    assertThat(calls429.get()).isEqualTo(3);
  }

  @Test
  void otherClientErrorsFailAtOnceWithTheServersMessage() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    String uri =
        serve(
            400,
            100,
            "{\"error_code\": \"INVALID_PARAMETER_VALUE\", \"message\": \"Changing param values"
                + " is not allowed\"}",
            calls);
    assertThatThrownBy(
            () -> client(uri, Map.of(), 30).post("log params", "runs/log-batch", Map.of()))
        .isInstanceOfSatisfying(
            MlflowHttp.Failure.class,
            f -> {
              assertThat(f.unreachable()).isFalse();
              assertThat(f.status()).isEqualTo(400);
              assertThat(f.errorCode()).isEqualTo("INVALID_PARAMETER_VALUE");
            })
        .hasMessage(
            "Cannot log params: the MLflow server at "
                + uri
                + " answered HTTP 400: INVALID_PARAMETER_VALUE: Changing param values is not"
                + " allowed");
    assertThat(calls.get()).isEqualTo(1);
  }

  @Test
  void retriesStopAtTheBudgetWhenTheServerKeepsFailing() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    String uri = serve(500, 1000, "boom", calls);
    long start = System.nanoTime();
    assertThatThrownBy(
            () -> client(uri, Map.of(), 2).post("log metrics", "runs/log-batch", Map.of()))
        .isInstanceOfSatisfying(MlflowHttp.Failure.class, f -> assertThat(f.unreachable()).isTrue())
        .hasMessageContaining("Cannot log metrics: the MLflow server at " + uri)
        .hasMessageContaining("(last: HTTP 500: boom)")
        // The time it really took (about the 2 s budget), not the configured retry budget.
        .hasMessageMatching("(?s).*did not answer after \\d+ attempts in [1-6]\\.\\d s .*");
    double seconds = (System.nanoTime() - start) / 1e9;
    assertThat(seconds).isBetween(1.5, 6.0);
    assertThat(calls.get()).isBetween(2, 10);
  }

  @Test
  void aSocketThatNeverAnswersTimesOutWithinTheBudget() throws Exception {
    try (ServerSocket stalled = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      long start = System.nanoTime();
      assertThatThrownBy(
              () ->
                  client("http://127.0.0.1:" + stalled.getLocalPort(), Map.of(), 3)
                      .post("create an MLflow run", "runs/create", Map.of()))
          .isInstanceOfSatisfying(MlflowHttp.Failure.class, f -> assertThat(f.status()).isZero())
          .hasMessageContaining("HttpTimeoutException");
      assertThat((System.nanoTime() - start) / 1e9).isBetween(2.0, 10.0);
    }
  }

  @Test
  void authComesFromTheTrackingVariablesOrDatabricks() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    String uri = serve(500, 0, "", calls);
    client(uri, Map.of("MLFLOW_TRACKING_TOKEN", "tok-1"), 5).get("get", "runs/get", Map.of());
    client(uri, Map.of("MLFLOW_TRACKING_USERNAME", "ann", "MLFLOW_TRACKING_PASSWORD", "pw:1"), 5)
        .get("get", "runs/get", Map.of());
    client("databricks", Map.of("DATABRICKS_HOST", uri + "/", "DATABRICKS_TOKEN", "dapi-2"), 5)
        .get("get", "runs/get", Map.of());
    client(uri, Map.of(), 5).get("get", "runs/get", Map.of());
    assertThat(authHeaders)
        .containsExactly(
            "Bearer tok-1",
            "Basic "
                + Base64.getEncoder().encodeToString("ann:pw:1".getBytes(StandardCharsets.UTF_8)),
            "Bearer dapi-2",
            "");
    MlflowHttp.Endpoint e =
        MlflowHttp.resolve(
            "databricks",
            Map.of("DATABRICKS_HOST", "adb-1.azuredatabricks.net", "DATABRICKS_TOKEN", "x"));
    assertThat(e.baseUri()).isEqualTo("https://adb-1.azuredatabricks.net");
    assertThat(e.databricks()).isTrue();
    assertThat(e.toString()).doesNotContain("x]").contains("with credentials");
  }

  @Test
  void missingDatabricksVariablesAndUnsupportedUrisAreClearErrors() {
    assertThatThrownBy(() -> MlflowHttp.resolve("databricks", Map.of("DATABRICKS_TOKEN", "t")))
        .hasMessageStartingWith("Cannot use the MLflow tracking URI 'databricks': ")
        .hasMessageContaining("DATABRICKS_HOST and DATABRICKS_TOKEN must both be set");
    assertThatThrownBy(() -> MlflowHttp.resolve("file:/tmp/mlruns", Map.of()))
        .hasMessageStartingWith("Cannot use the MLflow tracking URI 'file:/tmp/mlruns': ")
        .hasMessageContaining("only http(s) tracking servers and 'databricks'");
  }
}

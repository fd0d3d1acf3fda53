package dev.plumb.jobs.tracking;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plumb.features.io.Log;
import dev.plumb.features.io.Secrets;
import dev.plumb.jobs.BuildInfo;
import dev.plumb.jobs.JobErrors;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The one place Plumb talks HTTP to an MLflow tracking server (REST API and artifact proxy): auth
 * headers, connect and read timeouts, and bounded retries with exponential backoff and jitter on
 * connection errors, 429 and 5xx. Other 4xx answers fail at once with the server's message.
 */
final class MlflowHttp {

  /** Where the server is and how to authenticate; never printed with its credentials. */
  record Endpoint(String baseUri, String authorization, boolean databricks) {

    /** The base URI without user info, for messages and the run URL. */
    String display() {
      return Secrets.redactUri(baseUri);
    }

    @Override
    public String toString() {
      return "Endpoint[" + display() + (authorization == null ? "" : ", with credentials") + "]";
    }
  }

  /**
   * Resolves a tracking URI and the environment into an endpoint. {@code databricks} (or {@code
   * databricks://<profile>}) reads {@code DATABRICKS_HOST} and {@code DATABRICKS_TOKEN}; http(s)
   * servers read {@code MLFLOW_TRACKING_TOKEN}, else {@code MLFLOW_TRACKING_USERNAME} / {@code
   * MLFLOW_TRACKING_PASSWORD}.
   */
  static Endpoint resolve(String trackingUri, Map<String, String> env) {
    String uri = stripSlash(trackingUri);
    if (uri.isEmpty()) {
      throw JobErrors.trackingUnreachable("(none)", "no tracking URI is set");
    }
    if (uri.equals("databricks") || uri.startsWith("databricks:")) {
      String host = stripSlash(env.getOrDefault("DATABRICKS_HOST", ""));
      String token = env.getOrDefault("DATABRICKS_TOKEN", "");
      if (host.isEmpty() || token.isEmpty()) {
        throw JobErrors.trackingConfig(
            uri,
            "DATABRICKS_HOST and DATABRICKS_TOKEN must both be set (Plumb does not read"
                + " ~/.databrickscfg profiles; export the workspace URL and a personal access"
                + " token, or run with --tracking none)");
      }
      if (!host.startsWith("http://") && !host.startsWith("https://")) {
        host = "https://" + host;
      }
      return new Endpoint(host, "Bearer " + token, true);
    }
    if (!uri.startsWith("http://") && !uri.startsWith("https://")) {
      throw JobErrors.trackingConfig(
          uri,
          "only http(s) tracking servers and 'databricks' are supported (the MLflow Java client"
              + " has no local file store; start a server with 'cluster/local/mlflow-server.sh"
              + " start')");
    }
    String token = env.get("MLFLOW_TRACKING_TOKEN");
    String user = env.get("MLFLOW_TRACKING_USERNAME");
    String auth = null;
    if (token != null && !token.isEmpty()) {
      auth = "Bearer " + token;
    } else if (user != null && !user.isEmpty()) {
      String pass = env.getOrDefault("MLFLOW_TRACKING_PASSWORD", "");
      auth =
          "Basic "
              + Base64.getEncoder()
                  .encodeToString((user + ":" + pass).getBytes(StandardCharsets.UTF_8));
    }
    return new Endpoint(uri, auth, false);
  }

  /** A failed call: what, why, and whether the server was unreachable (vs. it said no). */
  static final class Failure extends RuntimeException {
    private final int status;
    private final String errorCode;
    private final boolean unreachable;

    Failure(String message, int status, String errorCode, boolean unreachable, Throwable cause) {
      super(message, cause);
      this.status = status;
      this.errorCode = errorCode;
      this.unreachable = unreachable;
    }

    /** HTTP status, or 0 when no answer came. */
    int status() {
      return status;
    }

    /** MLflow's {@code error_code}, or "". */
    String errorCode() {
      return errorCode;
    }

    /** True when retries ran out on connection errors, timeouts, 429 or 5xx. */
    boolean unreachable() {
      return unreachable;
    }
  }

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration FIRST_BACKOFF = Duration.ofMillis(250);
  private static final Duration MAX_BACKOFF = Duration.ofSeconds(8);

  private final Endpoint endpoint;
  private final Duration timeout;
  private final Duration retryBudget;
  private final HttpClient http;

  MlflowHttp(Endpoint endpoint, Duration timeout, Duration retryBudget) {
    this.endpoint = endpoint;
    this.timeout = timeout;
    this.retryBudget = retryBudget;
    this.http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(timeout)
            .followRedirects(HttpClient.Redirect.NORMAL)
            .build();
  }

  Endpoint endpoint() {
    return endpoint;
  }

  Duration retryBudget() {
    return retryBudget;
  }

  /** GET {@code /api/2.0/mlflow/<path>} with query parameters; the parsed JSON answer. */
  JsonNode get(String what, String path, Map<String, String> query) {
    StringBuilder q = new StringBuilder();
    query.forEach(
        (k, v) ->
            q.append(q.length() == 0 ? "?" : "&")
                .append(k)
                .append('=')
                .append(URLEncoder.encode(v, StandardCharsets.UTF_8)));
    return parse(send(what, "/api/2.0/mlflow/" + path + q, null, budgetOf(retryBudget)));
  }

  /** POST JSON to {@code /api/2.0/mlflow/<path>}; the parsed JSON answer. */
  JsonNode post(String what, String path, Object body) {
    return post(what, path, body, retryBudget);
  }

  JsonNode post(String what, String path, Object body, Duration budget) {
    return json("", what, path, body, budget);
  }

  /** PATCH JSON to {@code /api/2.0/mlflow/<path>}; the parsed JSON answer. */
  JsonNode patch(String what, String path, Object body) {
    return json("PATCH", what, path, body, retryBudget);
  }

  /** Sends {@code body} as JSON with {@code method} ("" = POST); the parsed JSON answer. */
  private JsonNode json(String method, String what, String path, Object body, Duration budget) {
    String text;
    try {
      text = JSON.writeValueAsString(body);
    } catch (IOException e) {
      throw new IllegalStateException("Cannot " + what + ": " + e.getMessage(), e);
    }
    return parse(
        send(
            what,
            "/api/2.0/mlflow/" + path,
            new Body() {
              @Override
              public HttpRequest.BodyPublisher publisher() {
                return HttpRequest.BodyPublishers.ofString(text, StandardCharsets.UTF_8);
              }

              @Override
              public String method() {
                return method;
              }
            },
            budgetOf(budget)));
  }

  /** PUT a file's bytes to a server path (the artifact proxy). */
  void put(String what, String path, byte[] bytes) {
    send(what, path, () -> HttpRequest.BodyPublishers.ofByteArray(bytes), budgetOf(retryBudget));
  }

  /** GET a raw server path (an artifact through the proxy); its bytes. */
  byte[] download(String what, String path) {
    return sendRaw(what, path, null, false, budgetOf(retryBudget)).body();
  }

  /** GET a raw server path once, within the given budget; the status code. */
  int probe(String what, String path, Duration budget) {
    return sendRaw(what, path, null, true, budgetOf(budget)).statusCode();
  }

  private static long budgetOf(Duration d) {
    return System.nanoTime() + d.toNanos();
  }

  private interface Body {
    HttpRequest.BodyPublisher publisher();

    /** The HTTP method: POST for JSON, PUT for the artifact proxy, unless a body says else. */
    default String method() {
      return "";
    }
  }

  private String send(String what, String path, Body body, long deadline) {
    return new String(sendRaw(what, path, body, false, deadline).body(), StandardCharsets.UTF_8);
  }

  private HttpResponse<byte[]> sendRaw(
      String what, String path, Body body, boolean anyClientAnswer, long deadline) {
    int attempt = 0;
    long started = System.nanoTime();
    String lastProblem;
    Throwable lastCause = null;
    int lastStatus = 0;
    while (true) {
      attempt++;
      Duration retryAfter = null;
      try {
        HttpRequest.Builder b =
            HttpRequest.newBuilder(URI.create(endpoint.baseUri() + path)).timeout(timeout);
        if (endpoint.authorization() != null) {
          b.header("Authorization", endpoint.authorization());
        }
        b.header("User-Agent", "plumb/" + BuildInfo.get("plumb.version"));
        if (body == null) {
          b.GET();
        } else if (!body.method().isEmpty()) {
          b.header("Content-Type", "application/json");
          b.method(body.method(), body.publisher());
        } else if (path.startsWith("/api/2.0/mlflow-artifacts/")) {
          b.PUT(body.publisher());
        } else {
          b.header("Content-Type", "application/json");
          b.POST(body.publisher());
        }
        HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        int s = r.statusCode();
        if (s / 100 == 2 || (anyClientAnswer && s / 100 != 5 && s != 429)) {
          return r;
        }
        String text = new String(r.body(), StandardCharsets.UTF_8);
        String message = serverMessage(text);
        if (s != 429 && s / 100 != 5) {
          throw new Failure(
              String.format(
                  "Cannot %s: the MLflow server at %s answered HTTP %d: %s",
                  what, endpoint.display(), s, message),
              s,
              errorCode(text),
              false,
              null);
        }
        lastStatus = s;
        lastProblem = "HTTP " + s + ": " + message;
        retryAfter = retryAfter(r);
      } catch (IOException e) {
        lastProblem =
            e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
        lastCause = e;
        lastStatus = 0;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new Failure("Cannot " + what + ": interrupted", 0, "", true, e);
      }
      long backoff =
          Math.min(MAX_BACKOFF.toMillis(), FIRST_BACKOFF.toMillis() << Math.min(attempt - 1, 10));
      // Equal jitter: half the backoff fixed, half random, so clients do not retry in lockstep.
      long sleep = backoff / 2 + ThreadLocalRandom.current().nextLong(backoff / 2 + 1);
      if (retryAfter != null) {
        sleep = Math.max(sleep, Math.min(retryAfter.toMillis(), MAX_BACKOFF.toMillis()));
      }
      long left = (deadline - System.nanoTime()) / 1_000_000;
      if (left <= 0) {
        throw new Failure(
            String.format(
                "Cannot %s: the MLflow server at %s did not answer after %d attempt%s in %.1f s"
                    + " (last: %s)",
                what,
                endpoint.display(),
                attempt,
                attempt == 1 ? "" : "s",
                (System.nanoTime() - started) / 1e9,
                Secrets.redactUri(lastProblem)),
            lastStatus,
            "",
            true,
            lastCause);
      }
      Log.warn(
          String.format(
              "MLflow: %s failed (%s); retry %d in %d ms",
              what, Secrets.redactUri(lastProblem), attempt, Math.min(sleep, left)));
      try {
        Thread.sleep(Math.min(sleep, left));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new Failure("Cannot " + what + ": interrupted", 0, "", true, e);
      }
    }
  }

  private static Duration retryAfter(HttpResponse<?> r) {
    return r.headers()
        .firstValue("Retry-After")
        .map(
            v -> {
              try {
                return Duration.ofSeconds(Long.parseLong(v.trim()));
              } catch (NumberFormatException e) {
                return null;
              }
            })
        .orElse(null);
  }

  private static JsonNode parse(String body) {
    try {
      return body == null || body.isBlank() ? JSON.createObjectNode() : JSON.readTree(body);
    } catch (IOException e) {
      throw new IllegalStateException(
          "Cannot read the MLflow server's answer: not JSON ("
              + body.substring(0, Math.min(200, body.length()))
              + ")",
          e);
    }
  }

  private static String serverMessage(String body) {
    try {
      JsonNode n = JSON.readTree(body);
      if (n != null && n.hasNonNull("message")) {
        String code = n.path("error_code").asText("");
        return (code.isEmpty() ? "" : code + ": ") + n.get("message").asText();
      }
    } catch (IOException e) {
      // not JSON: the raw text below
    }
    String text = body == null ? "" : body.strip();
    return text.length() > 500 ? text.substring(0, 500) + "..." : text;
  }

  private static String errorCode(String body) {
    try {
      JsonNode n = JSON.readTree(body);
      return n == null ? "" : n.path("error_code").asText("");
    } catch (IOException e) {
      return "";
    }
  }

  static String stripSlash(String s) {
    String out = s == null ? "" : s.trim();
    while (out.endsWith("/")) {
      out = out.substring(0, out.length() - 1);
    }
    return out;
  }
}

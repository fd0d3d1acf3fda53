package dev.plumb.jobs;

import dev.plumb.features.io.PlumbException;
import dev.plumb.features.io.Secrets;
import java.util.List;
import java.util.Locale;

/** Every user-facing error of the jobs module: what, where, why and how to fix it. */
public final class JobErrors {

  private JobErrors() {}

  /** A usage error: the CLI prints it with the usage and exits 2. */
  public static final class UsageException extends IllegalArgumentException {
    UsageException(String message) {
      super(message);
    }
  }

  public static UsageException usage(String message) {
    return new UsageException(message);
  }

  public static UsageException unknownKey(String key, String where) {
    List<String> valid = ConfigKeys.all().stream().map(ConfigKey::name).toList();
    String suggestion = closest(key, valid);
    return new UsageException(
        String.format(
            "Cannot read config: unknown key '%s' in %s%s. Valid keys: %s, or %s<spark key> (run"
                + " './plumb keys' for what each means)",
            key,
            where,
            suggestion == null ? "" : " (did you mean '" + suggestion + "'?)",
            String.join(", ", valid),
            ConfigKeys.SPARK_CONF_PREFIX));
  }

  /** A value outside the key's fixed choices; {@code where} says where it came from. */
  public static UsageException badChoice(
      String key, String value, String where, List<String> choices) {
    String suggestion = closest(value, choices);
    return new UsageException(
        String.format(
            "Cannot read config: %s = '%s' (from %s) is not one of %s%s",
            key,
            value,
            where,
            choices,
            suggestion == null ? "" : " (did you mean '" + suggestion + "'?)"));
  }

  /** A key's value that fails a check (a file that cannot be read, a bad name). */
  public static UsageException badSetting(String key, String where, String problem) {
    return new UsageException(
        String.format("Cannot read config: %s (from %s): %s", key, where, problem));
  }

  public static UsageException badValue(ConfigKey key, String value, String where) {
    return new UsageException(
        String.format(
            "Cannot read config: %s = '%s' in %s is not a valid %s (%s; default %s)",
            key.name(),
            value,
            where,
            key.type().name().toLowerCase(Locale.ROOT),
            key.doc(),
            key.defaultValue().isEmpty() ? "none" : key.defaultValue()));
  }

  public static UsageException missingConfig(String file, Exception cause) {
    return new UsageException(
        "Cannot read config file '"
            + file
            + "': "
            + (cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage())
            + " (check the --conf path; the examples live in conf/)");
  }

  public static PlumbException trackingUnreachable(String uri, String detail) {
    return new PlumbException(
        PlumbException.Category.UNREACHABLE,
        String.format(
            "Cannot reach the MLflow tracking server at %s: %s (start one with"
                + " 'cluster/local/mlflow-server.sh start', point MLFLOW_TRACKING_URI or"
                + " --set tracking.uri=... at a running server, or run with --tracking none)",
            Secrets.redactUri(uri), detail));
  }

  /** The server answered, and refused the credentials: a config problem, not an outage. */
  public static PlumbException trackingRejected(String uri, int status) {
    return new PlumbException(
        PlumbException.Category.BAD_CONFIG,
        String.format(
            "Cannot use the MLflow tracking server at %s: it rejected the credentials (HTTP %d)"
                + " (check MLFLOW_TRACKING_TOKEN, MLFLOW_TRACKING_USERNAME/PASSWORD or"
                + " DATABRICKS_TOKEN, and that they may write to the experiment)",
            Secrets.redactUri(uri), status));
  }

  public static UsageException trackingConfig(String uri, String detail) {
    return new UsageException(
        String.format(
            "Cannot use the MLflow tracking URI '%s': %s", Secrets.redactUri(uri), detail));
  }

  /** The server went away mid-run: what was not logged, and what became of the run. */
  public static IllegalStateException trackingLost(
      String runId, String uri, String cause, List<String> notLogged, String runState) {
    int shown = Math.min(notLogged.size(), 25);
    String list =
        String.join(", ", notLogged.subList(0, shown))
            + (notLogged.size() > shown ? " and " + (notLogged.size() - shown) + " more" : "");
    return new IllegalStateException(
        String.format(
            "Cannot complete MLflow run %s: the tracking server at %s was lost mid-run (%s). Not"
                + " logged: %s. %s The Delta tables, feature set and model files on disk are"
                + " kept (rerun the job once the server is stable, or log them by hand)",
            runId, Secrets.redactUri(uri), cause, list, runState));
  }

  public static String closest(String key, List<String> candidates) {
    return dev.plumb.features.io.Names.closest(key, candidates);
  }
}

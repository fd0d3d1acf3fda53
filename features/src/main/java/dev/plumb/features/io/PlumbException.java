package dev.plumb.features.io;

/**
 * A failure whose category, and nothing else, decides the exit code of a job: a bad command line or
 * config (2), bad input data or files (1), a service or store that cannot be reached (1), or an
 * internal error (1). The message says what, where and how to fix.
 */
public final class PlumbException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /** What kind of failure it is. */
  public enum Category {
    /** A command line, config key, value or referenced file is wrong: nothing ran. */
    BAD_CONFIG(2),
    /** The data or a stored file (model, manifest, transform) is missing, damaged or invalid. */
    BAD_INPUT(1),
    /** A service or store (MLflow, a bucket, a cluster) cannot be reached or refused access. */
    UNREACHABLE(1),
    /** Anything else: a bug or an unexpected failure. */
    INTERNAL(1);

    private final int exitCode;

    Category(int exitCode) {
      this.exitCode = exitCode;
    }

    /** The process exit code for this category. */
    public int exitCode() {
      return exitCode;
    }
  }

  private final Category category;

  public PlumbException(Category category, String message, Throwable cause) {
    super(message, cause);
    this.category = category;
  }

  public PlumbException(Category category, String message) {
    this(category, message, null);
  }

  public Category category() {
    return category;
  }
}

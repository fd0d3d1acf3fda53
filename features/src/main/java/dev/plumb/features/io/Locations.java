package dev.plumb.features.io;

import java.nio.file.Path;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Locations are URI strings ({@code s3a://bucket/key}, {@code hdfs://nn:8020/p}, {@code
 * file:/tmp/x}, {@code dbfs:/x}, {@code /Volumes/c/s/v/x}, {@code /tmp/x}); these helpers join and
 * split them without rewriting the scheme or authority.
 */
public final class Locations {

  private static final Pattern SCHEME = Pattern.compile("^[A-Za-z][A-Za-z0-9+.-]+:.*");
  private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9_.-]+");

  private Locations() {}

  /** Whether {@code location} carries a scheme ({@code s3a:}, {@code file:}, ...). */
  public static boolean hasScheme(String location) {
    return SCHEME.matcher(location).matches();
  }

  /** The scheme in lower case, or "" for a plain path. */
  public static String scheme(String location) {
    return hasScheme(location)
        ? location.substring(0, location.indexOf(':')).toLowerCase(Locale.ROOT)
        : "";
  }

  /**
   * A location as given, except that a relative local path is made absolute against the working
   * directory (the only rewrite: a URI or an absolute path is returned unchanged). Empty stays
   * empty.
   */
  public static String qualify(String location) {
    if (location.isEmpty() || hasScheme(location) || location.startsWith("/")) {
      return location;
    }
    return Path.of(location).toAbsolutePath().normalize().toString();
  }

  /**
   * {@code relative} read from the folder {@code base}: a URI or an absolute path is returned as it
   * is; a relative one is joined to {@code base} (normalised when {@code base} is a local path).
   */
  public static String resolve(String base, String relative) {
    if (relative.isEmpty() || hasScheme(relative) || relative.startsWith("/")) {
      return relative;
    }
    if (!hasScheme(base)) {
      return Path.of(base).resolve(relative).toAbsolutePath().normalize().toString();
    }
    return join(base, relative);
  }

  /** {@code base/child/...}: one slash between parts, the base's scheme and authority kept. */
  public static String join(String base, String... children) {
    StringBuilder sb = new StringBuilder(stripSlash(base));
    for (String child : children) {
      String c = child;
      while (c.startsWith("/")) {
        c = c.substring(1);
      }
      if (sb.charAt(sb.length() - 1) != '/') {
        sb.append('/');
      }
      sb.append(stripSlash(c));
    }
    return sb.toString();
  }

  /** The last path segment. */
  public static String name(String location) {
    String s = stripSlash(location);
    return s.substring(s.lastIndexOf('/') + 1);
  }

  /** The location without its last segment. */
  public static String parent(String location) {
    String s = stripSlash(location);
    int slash = s.lastIndexOf('/');
    if (slash < 0) {
      return "";
    }
    String parent = s.substring(0, slash);
    // "s3a://bucket/x" -> "s3a://bucket"; "/x" -> "/"; "dbfs:/x" -> "dbfs:/"
    return parent.isEmpty() || parent.endsWith(":") ? parent + "/" : parent;
  }

  private static String stripSlash(String s) {
    String out = s;
    while (out.length() > 1 && out.endsWith("/") && !out.endsWith("//") && !out.endsWith(":/")) {
      out = out.substring(0, out.length() - 1);
    }
    return out;
  }

  /**
   * Checks a user-supplied value that becomes one folder or file name inside a store (a feature set
   * name, a version, a sample id): letters, digits, {@code . _ -}, and never {@code .} or {@code
   * ..}, so it cannot point outside its parent.
   *
   * @param what what the value is, for the message (e.g. "feature set name")
   * @return the value
   */
  public static String checkSegment(String value, String what) {
    if (value == null
        || !SEGMENT.matcher(value).matches()
        || value.equals(".")
        || value.equals("..")) {
      throw new IllegalArgumentException(
          "Cannot use "
              + what
              + " '"
              + value
              + "': it becomes a folder name and must be letters, digits, '.', '_' or '-' (not"
              + " empty, '.' or '..', no '/')");
    }
    return value;
  }
}

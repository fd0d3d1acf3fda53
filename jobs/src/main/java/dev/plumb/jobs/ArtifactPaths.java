package dev.plumb.jobs;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

/** Artifact paths must stay inside the run's artifact root. */
public final class ArtifactPaths {

  private ArtifactPaths() {}

  /**
   * Rejects absolute paths (Unix, Windows, UNC, URIs), {@code ..} segments and their encoded forms
   * (percent-encoded once or more, e.g. {@code %2e%2e}, {@code %252e%252e}), backslashes and
   * control characters.
   */
  public static void check(String path) {
    String decoded = path;
    // Decode until stable: a proxy or store may decode again, so %252e must count as '.'.
    for (int i = 0; i < 5; i++) {
      String next;
      try {
        next = URLDecoder.decode(decoded.replace("+", "%2B"), StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        throw rejected(path, "it holds a malformed percent-encoding");
      }
      if (next.equals(decoded)) {
        break;
      }
      decoded = next;
    }
    if (decoded.isEmpty()) {
      throw rejected(path, "it is empty");
    }
    if (decoded.startsWith("/")
        || decoded.startsWith("\\")
        || decoded.matches("^[A-Za-z][A-Za-z0-9+.-]*:.*")) {
      throw rejected(path, "it is absolute");
    }
    if (decoded.contains("\\")) {
      throw rejected(path, "it holds a backslash");
    }
    for (int i = 0; i < decoded.length(); i++) {
      if (Character.isISOControl(decoded.charAt(i))) {
        throw rejected(path, "it holds a control character");
      }
    }
    for (String part : decoded.split("/")) {
      if (part.equals("..")) {
        throw rejected(path, "it climbs out with '..'");
      }
    }
  }

  private static IllegalArgumentException rejected(String path, String why) {
    return new IllegalArgumentException(
        "Cannot log artifact '"
            + path
            + "': "
            + why
            + " (artifact paths must be relative and stay inside the run's artifact root: no"
            + " absolute paths, no '..', no encoded traversal)");
  }
}

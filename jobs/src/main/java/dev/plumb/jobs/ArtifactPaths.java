package dev.plumb.jobs;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

/** Artifact paths must stay inside the run's artifact root. */
final class ArtifactPaths {

  private ArtifactPaths() {}

  /** Rejects absolute paths, {@code ..} segments and their encoded forms. */
  static void check(String path) {
    String decoded = URLDecoder.decode(path.replace("+", "%2B"), StandardCharsets.UTF_8);
    boolean bad =
        decoded.startsWith("/")
            || decoded.startsWith("\\")
            || decoded.matches("^[A-Za-z]:.*")
            || decoded.contains("\\");
    for (String part : decoded.split("/")) {
      if (part.equals("..")) {
        bad = true;
      }
    }
    if (bad) {
      throw new IllegalArgumentException(
          "Cannot log artifact '"
              + path
              + "': artifact paths must be relative and stay inside"
              + " the run's artifact root (no absolute paths, no '..')");
    }
  }
}

package dev.plumb.jobs;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plumb.features.YamlDocs;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;

/** Reads and writes the small JSON files stages hand each other (reports, manifests). */
final class JsonFiles {

  private static final ObjectMapper JSON = new ObjectMapper();

  private JsonFiles() {}

  /** Writes atomically: a temp file renamed into place, so readers never see half a file. */
  static void write(Path path, Object value) {
    writeText(path, YamlDocs.toJson(value));
  }

  static void writeText(Path path, String text) {
    try {
      Files.createDirectories(path.toAbsolutePath().getParent());
      Path tmp = path.resolveSibling(path.getFileName() + ".tmp");
      Files.writeString(tmp, text, StandardCharsets.UTF_8);
      Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write " + path + ": " + e.getMessage(), e);
    }
  }

  static Map<String, Object> read(Path path, String what, String producer) {
    if (!Files.isRegularFile(path)) {
      throw JobErrors.missingStageOutput(what, path, producer);
    }
    try {
      return JSON.readValue(path.toFile(), new TypeReference<>() {});
    } catch (IOException e) {
      throw new IllegalStateException(
          "Cannot read "
              + what
              + " at "
              + path
              + ": "
              + e.getMessage()
              + " (rerun './plumb "
              + producer
              + "')",
          e);
    }
  }

  static String readText(Path path, String what, String producer) {
    if (!Files.isRegularFile(path)) {
      throw JobErrors.missingStageOutput(what, path, producer);
    }
    try {
      return Files.readString(path, StandardCharsets.UTF_8).trim();
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read " + what + " at " + path, e);
    }
  }
}

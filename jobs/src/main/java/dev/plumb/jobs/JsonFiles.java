package dev.plumb.jobs;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plumb.features.YamlDocs;
import dev.plumb.features.io.Storage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Reads and writes the small JSON and text files stages hand each other (reports, manifests,
 * pointers) through the storage port: any filesystem, each file published whole.
 */
final class JsonFiles {

  private static final ObjectMapper JSON = new ObjectMapper();

  private JsonFiles() {}

  static void write(String location, Object value) {
    writeText(location, YamlDocs.toJson(value));
  }

  static void writeText(String location, String text) {
    Storages.current().writeText(location, text);
  }

  static Map<String, Object> read(String location, String what, String producer) {
    Storage storage = Storages.current();
    if (!storage.isFile(location)) {
      throw JobErrors.missingStageOutput(what, location, producer);
    }
    return parse(storage.read(location), location, what, producer);
  }

  static Map<String, Object> parse(byte[] bytes, String location, String what, String producer) {
    try {
      return JSON.readValue(bytes, new TypeReference<>() {});
    } catch (IOException e) {
      throw new IllegalStateException(
          "Cannot read "
              + what
              + " at "
              + location
              + ": "
              + e.getMessage()
              + " (rerun './plumb "
              + producer
              + "')",
          e);
    }
  }

  static String readText(String location, String what, String producer) {
    Storage storage = Storages.current();
    if (!storage.isFile(location)) {
      throw JobErrors.missingStageOutput(what, location, producer);
    }
    return new String(storage.read(location), StandardCharsets.UTF_8).trim();
  }
}

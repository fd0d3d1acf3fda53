package dev.plumb.features.io;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Reads and writes the small JSON and text files stages hand each other (reports, manifests,
 * pointers) through the storage port: any filesystem, each file published whole.
 */
public final class JsonFiles {

  private static final ObjectMapper JSON = new ObjectMapper();

  private JsonFiles() {}

  public static void write(String location, Object value) {
    writeText(location, YamlDocs.toJson(value));
  }

  public static void writeText(String location, String text) {
    Storages.current().writeText(location, text);
  }

  public static Map<String, Object> read(String location, String what, String producer) {
    Storage storage = Storages.current();
    if (!storage.isFile(location)) {
      throw missing(what, location, producer);
    }
    return parse(storage.read(location), location, what, producer);
  }

  public static Map<String, Object> parse(
      byte[] bytes, String location, String what, String producer) {
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

  public static String readText(String location, String what, String producer) {
    Storage storage = Storages.current();
    if (!storage.isFile(location)) {
      throw missing(what, location, producer);
    }
    return new String(storage.read(location), StandardCharsets.UTF_8).trim();
  }

  /** The error for a stage output that is not there: what, where, and the job that writes it. */
  public static IllegalStateException missing(String what, String location, String producer) {
    return new IllegalStateException(
        String.format(
            "Cannot find %s at %s (run './plumb %s' first, or point the config at it)",
            what, location, producer));
  }
}

package dev.plumb.features.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** Parses YAML documents (configs, contracts, specs) into plain maps and checks their keys. */
public final class YamlDocs {

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private YamlDocs() {}

  /** Parses a YAML mapping; an empty document is an empty map. */
  @SuppressWarnings("unchecked")
  public static Map<String, Object> parse(String text, String origin) {
    try {
      Object value = YAML.readValue(text, Object.class);
      if (value == null) {
        return new LinkedHashMap<>();
      }
      if (!(value instanceof Map)) {
        throw new IllegalArgumentException(
            "Cannot read " + origin + ": the top level must be a mapping of keys to values");
      }
      return (Map<String, Object>) value;
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(
          "Cannot read " + origin + ": invalid YAML: " + e.getOriginalMessage(), e);
    }
  }

  /** Rejects any key of {@code map} outside {@code known}, listing the valid ones. */
  public static void requireKnownKeys(
      Map<String, ?> map, Set<String> known, String where, String origin) {
    for (String key : map.keySet()) {
      if (!known.contains(key)) {
        throw new IllegalArgumentException(
            String.format(
                "Cannot read %s: unknown key '%s' in %s; valid keys: %s",
                origin, key, where, new TreeSet<>(known)));
      }
    }
  }

  /** A required string value. */
  public static String string(Map<String, ?> map, String key, String origin) {
    Object value = map.get(key);
    if (value == null) {
      throw new IllegalArgumentException(
          "Cannot read " + origin + ": required key '" + key + "' is missing");
    }
    return String.valueOf(value);
  }

  /** An optional list of strings; a scalar is a one-element list. */
  public static List<String> strings(Map<String, ?> map, String key) {
    Object value = map.get(key);
    List<String> out = new ArrayList<>();
    if (value == null) {
      return out;
    }
    if (value instanceof List<?> list) {
      for (Object item : list) {
        out.add(String.valueOf(item));
      }
    } else {
      out.add(String.valueOf(value));
    }
    return out;
  }

  /**
   * The text of a spec file, or an error naming the file, the config key that names it and an
   * example to start from.
   *
   * @param what what the file is ("evaluation spec")
   * @param key the config key that names it
   * @param example a shipped example of it
   */
  public static String readSpec(
      Storage storage, String file, String what, String key, String example) {
    try {
      return storage.readText(file);
    } catch (java.io.UncheckedIOException e) {
      throw new IllegalArgumentException(
          "Cannot read the "
              + what
              + " '"
              + file
              + "': "
              + e.getMessage()
              + " (check "
              + key
              + "; an example lives in "
              + example
              + ")",
          e);
    }
  }

  /**
   * An optional nested mapping {@code parent.key} (empty when absent) whose keys must be among
   * {@code known}.
   */
  @SuppressWarnings("unchecked")
  public static Map<String, Object> section(
      Map<String, Object> parent, String key, Set<String> known, String origin) {
    Object v = parent.get(key);
    if (v == null) {
      return Map.of();
    }
    if (!(v instanceof Map<?, ?>)) {
      throw new IllegalArgumentException(
          "Cannot read " + origin + ": '" + key + "' must be a mapping of keys to values");
    }
    Map<String, Object> m = (Map<String, Object>) v;
    requireKnownKeys(m, known, "'" + key + "'", origin);
    return m;
  }

  /** Writes any plain value tree as pretty JSON. */
  public static String toJson(Object value) {
    try {
      return new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("Cannot write JSON: " + e.getMessage(), e);
    }
  }
}

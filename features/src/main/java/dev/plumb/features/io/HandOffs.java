package dev.plumb.features.io;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reading the JSON form of the typed records stages hand each other (ingest report, feature-set
 * manifest, model metadata): required fields with their types, and the format version, with one
 * clear error naming the file, the field and the fix.
 */
public final class HandOffs {

  private final Map<String, Object> json;
  private final String what;
  private final String location;
  private final String fix;

  private HandOffs(Map<String, Object> json, String what, String location, String fix) {
    this.json = json;
    this.what = what;
    this.location = location;
    this.fix = fix;
  }

  /**
   * A reader of {@code json}; fails when its {@code format_version} is newer than {@code supported}
   * (files without one are the first format, written before versions were recorded).
   */
  public static HandOffs of(
      Map<String, Object> json, String what, String location, String fix, int supported) {
    HandOffs h = new HandOffs(json, what, location, fix);
    int version = h.json.get("format_version") == null ? 1 : h.integer("format_version");
    if (version > supported) {
      throw h.error(
          "it has format_version " + version + ", newer than this Plumb reads (" + supported + ")");
    }
    return h;
  }

  public PlumbException error(String problem) {
    return new PlumbException(
        PlumbException.Category.BAD_INPUT,
        "Cannot read " + what + " at " + location + ": " + problem + " (" + fix + ")");
  }

  private Object required(String field) {
    Object v = json.get(field);
    if (v == null) {
      throw error("field '" + field + "' is missing");
    }
    return v;
  }

  public String string(String field) {
    return String.valueOf(required(field));
  }

  public String stringOr(String field, String fallback) {
    Object v = json.get(field);
    return v == null ? fallback : String.valueOf(v);
  }

  public long number(String field) {
    Object v = required(field);
    if (!(v instanceof Number n)) {
      throw error("field '" + field + "' must be a number but was '" + v + "'");
    }
    return n.longValue();
  }

  public int integer(String field) {
    return Math.toIntExact(number(field));
  }

  public List<String> strings(String field) {
    Object v = required(field);
    if (!(v instanceof List<?> l)) {
      throw error("field '" + field + "' must be a list");
    }
    return l.stream().map(String::valueOf).toList();
  }

  @SuppressWarnings("unchecked")
  public Map<String, Object> map(String field) {
    Object v = required(field);
    if (!(v instanceof Map<?, ?>)) {
      throw error("field '" + field + "' must be an object");
    }
    return new LinkedHashMap<>((Map<String, Object>) v);
  }

  @SuppressWarnings("unchecked")
  public Map<String, Object> mapOr(String field) {
    Object v = json.get(field);
    return v instanceof Map<?, ?> ? new LinkedHashMap<>((Map<String, Object>) v) : Map.of();
  }

  public Map<String, Long> longs(String field) {
    Map<String, Long> out = new LinkedHashMap<>();
    map(field)
        .forEach(
            (k, v) -> {
              if (!(v instanceof Number n)) {
                throw error("field '" + field + "." + k + "' must be a number");
              }
              out.put(k, n.longValue());
            });
    return out;
  }

  @SuppressWarnings("unchecked")
  public List<Map<String, Object>> objects(String field) {
    Object v = required(field);
    if (!(v instanceof List<?> l) || !l.stream().allMatch(e -> e instanceof Map<?, ?>)) {
      throw error("field '" + field + "' must be a list of objects");
    }
    return (List<Map<String, Object>>) v;
  }
}

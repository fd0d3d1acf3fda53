package dev.plumb.jobs;

/**
 * One documented config key.
 *
 * @param name dotted key, as in YAML nesting and {@code --set}
 * @param type the value's type
 * @param defaultValue the default, as text ("" for none)
 * @param doc what it means, with its unit
 */
public record ConfigKey(String name, Type type, String defaultValue, String doc) {

  /** Value types; lists are YAML lists or comma-separated on the command line. */
  public enum Type {
    STRING,
    INT,
    DOUBLE,
    BOOLEAN,
    LIST
  }
}

package dev.plumb.features.io;

import java.util.regex.Pattern;

/** Keeps secrets out of logs, params and artifacts. */
public final class Secrets {

  private static final Pattern USER_INFO = Pattern.compile("(?<=://)[^/@\\s]+@");

  private Secrets() {}

  /** Removes {@code user:password@} from any URI in {@code text}. */
  public static String redactUri(String text) {
    return USER_INFO.matcher(text).replaceAll("***@");
  }
}

package dev.plumb.features.io;

import java.io.IOException;
import java.io.UncheckedIOException;

/** A storage operation that failed: the message names the operation, the location and a fix. */
public final class StorageException extends UncheckedIOException {

  private static final long serialVersionUID = 1L;

  private final String location;

  public StorageException(String message, String location, IOException cause) {
    super(message, cause);
    this.location = location;
  }

  /** The location the operation was about. */
  public String location() {
    return location;
  }
}

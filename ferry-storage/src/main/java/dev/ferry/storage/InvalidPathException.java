package dev.ferry.storage;

/**
 * An endpoint-relative path that is malformed or would leave the endpoint's root. Never retryable.
 * The control plane turns it into a 400.
 */
public final class InvalidPathException extends StorageException {
  private final String path;
  private final String reason;

  public InvalidPathException(String path, String reason) {
    super(ErrorClass.INVALID_PATH, "invalid path " + quote(path) + ": " + reason);
    this.path = path;
    this.reason = reason;
  }

  /** The path as given (may be null). */
  public String path() {
    return path;
  }

  /** Why it was rejected, e.g. {@code contains a '..' segment}. */
  public String reason() {
    return reason;
  }

  static String quote(String path) {
    if (path == null) {
      return "null";
    }
    StringBuilder b = new StringBuilder(path.length() + 2).append('"');
    for (int i = 0; i < path.length(); i++) {
      char c = path.charAt(i);
      if (c < 0x20 || c == 0x7f) {
        b.append(String.format("\\u%04x", (int) c));
      } else {
        b.append(c);
      }
    }
    return b.append('"').toString();
  }
}

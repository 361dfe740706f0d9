package dev.ferry.storage;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * A validated, normalized, endpoint-relative path: '/'-separated segments below an endpoint's root.
 * The same rules hold for every adapter, so a path accepted here means the same object on a
 * filesystem, in a bucket or on an SFTP server.
 *
 * <p>Rules, in the order they are checked:
 *
 * <ul>
 *   <li>not null, not blank, at most {@value #MAX_LENGTH} characters;
 *   <li>no NUL and no other control character (U+0000–U+001F, U+007F);
 *   <li>no backslash (it is a separator on Windows and an escape elsewhere);
 *   <li>not absolute: no leading '/', and no drive letter ({@code C:}) as first segment;
 *   <li>no {@code ..} segment, anywhere (it is rejected, not resolved);
 *   <li>{@code .} segments are dropped and one trailing '/' is ignored ({@code ./a/b/} is {@code
 *       a/b}), but an empty segment inside the path ({@code a//b}) is rejected, because object
 *       stores treat it as a different key;
 *   <li>something must remain: {@code .} alone is rejected.
 * </ul>
 *
 * <p>Unicode is taken as given: no normalization form is applied, so NFC and NFD spellings are
 * different paths, as they are on most filesystems. Immutable and thread-safe.
 */
public final class RelativePath implements Comparable<RelativePath> {
  /** Longest accepted path, in UTF-16 characters. */
  public static final int MAX_LENGTH = 4096;

  private final String value;

  private RelativePath(String value) {
    this.value = value;
  }

  /**
   * Validates and normalizes {@code path}.
   *
   * @throws InvalidPathException naming the path and the reason when a rule is broken
   */
  public static RelativePath of(String path) {
    if (path == null) {
      throw new InvalidPathException(null, "is null");
    }
    if (path.isBlank()) {
      throw new InvalidPathException(path, "is empty");
    }
    if (path.length() > MAX_LENGTH) {
      throw new InvalidPathException(
          path.substring(0, 64) + "…", "is longer than " + MAX_LENGTH + " characters");
    }
    for (int i = 0; i < path.length(); i++) {
      char c = path.charAt(i);
      if (c == 0) {
        throw new InvalidPathException(path, "contains a NUL character");
      }
      if (c < 0x20 || c == 0x7f) {
        throw new InvalidPathException(path, "contains a control character at index " + i);
      }
      if (c == '\\') {
        throw new InvalidPathException(path, "contains a backslash");
      }
    }
    if (path.startsWith("/")) {
      throw new InvalidPathException(path, "is absolute");
    }
    String trimmed = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    String[] raw = trimmed.split("/", -1);
    if (raw[0].length() == 2 && raw[0].charAt(1) == ':' && isAsciiLetter(raw[0].charAt(0))) {
      throw new InvalidPathException(path, "is absolute (drive letter)");
    }
    List<String> segments = new ArrayList<>(raw.length);
    for (String segment : raw) {
      if (segment.isEmpty()) {
        throw new InvalidPathException(path, "contains an empty segment");
      }
      if (segment.equals("..")) {
        throw new InvalidPathException(path, "contains a '..' segment");
      }
      if (!segment.equals(".")) {
        segments.add(segment);
      }
    }
    if (segments.isEmpty()) {
      throw new InvalidPathException(path, "names no file (only '.' segments)");
    }
    return new RelativePath(String.join("/", segments));
  }

  /** True when {@link #of} would accept {@code path}. */
  public static boolean isValid(String path) {
    try {
      of(path);
      return true;
    } catch (InvalidPathException e) {
      return false;
    }
  }

  private static boolean isAsciiLetter(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  }

  /** The normalized form, e.g. {@code a/b/c.txt}. */
  public String value() {
    return value;
  }

  public List<String> segments() {
    return Arrays.asList(value.split("/"));
  }

  /** The last segment. */
  public String name() {
    int slash = value.lastIndexOf('/');
    return slash < 0 ? value : value.substring(slash + 1);
  }

  /** The parent, or empty for a path of one segment (whose parent is the endpoint's root). */
  public Optional<RelativePath> parent() {
    int slash = value.lastIndexOf('/');
    return slash < 0 ? Optional.empty() : Optional.of(new RelativePath(value.substring(0, slash)));
  }

  /** {@code this/child}, where {@code child} is validated like any relative path. */
  public RelativePath resolve(String child) {
    return new RelativePath(value + "/" + of(child).value);
  }

  /** True when {@code other} is this path or one of its ancestors (segment-wise, not textual). */
  public boolean startsWith(RelativePath other) {
    return value.equals(other.value) || value.startsWith(other.value + "/");
  }

  @Override
  public int compareTo(RelativePath o) {
    return value.compareTo(o.value);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RelativePath other && value.equals(other.value);
  }

  @Override
  public int hashCode() {
    return value.hashCode();
  }

  @Override
  public String toString() {
    return value;
  }
}

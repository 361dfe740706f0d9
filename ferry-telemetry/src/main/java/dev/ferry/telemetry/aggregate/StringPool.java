package dev.ferry.telemetry.aggregate;

/**
 * A small direct-mapped cache of strings, so that the few distinct values a field takes (tenants,
 * sites, outcomes, the event type) are one {@code String} instance each instead of a new one per
 * record.
 *
 * <p><b>Why.</b> A fact's link key is hashed and compared several times per fact (the processor's
 * accumulator caches, the write-behind maps); with a fresh {@code String} per field every fact paid
 * for allocating it, computing its hash and comparing it character by character with the cached
 * key's. A pooled instance has its hash cached and compares by identity. Values are looked up
 * straight from the parser's character buffer, so a hit allocates nothing.
 *
 * <p>Direct-mapped: a value whose slot is taken by another replaces it, so the pool never grows and
 * needs no eviction policy; with more distinct values than slots it only hits less often. Long
 * values are not pooled. Not thread-safe: one per stream task.
 */
public final class StringPool {
  private static final int MAX_LENGTH = 64;

  private final String[] slots;
  private final int mask;

  /**
   * @param size the number of slots, a power of two
   */
  public StringPool(int size) {
    if (size < 1 || Integer.bitCount(size) != 1) {
      throw new IllegalArgumentException("size must be a power of two, got " + size);
    }
    this.slots = new String[size];
    this.mask = size - 1;
  }

  /** The string of {@code c[off, off + len)}, the pooled instance when there is one. */
  public String get(char[] c, int off, int len) {
    if (len > MAX_LENGTH) {
      return new String(c, off, len);
    }
    int h = 0;
    for (int i = off; i < off + len; i++) {
      h = 31 * h + c[i];
    }
    int slot = (h ^ (h >>> 16)) & mask;
    String s = slots[slot];
    if (s != null && s.length() == len && s.hashCode() == h && sameChars(s, c, off, len)) {
      return s;
    }
    s = new String(c, off, len);
    slots[slot] = s;
    return s;
  }

  private static boolean sameChars(String s, char[] c, int off, int len) {
    for (int i = 0; i < len; i++) {
      if (s.charAt(i) != c[off + i]) {
        return false;
      }
    }
    return true;
  }
}

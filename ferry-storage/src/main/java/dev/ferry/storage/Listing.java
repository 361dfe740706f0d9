package dev.ferry.storage;

import java.util.List;

/** Argument checks and page assembly shared by the adapters. */
final class Listing {
  private Listing() {}

  /** Null for "everything", else the normalized prefix. */
  static RelativePath prefix(String prefix) {
    return prefix == null || prefix.isEmpty() ? null : RelativePath.of(prefix);
  }

  static void checkPageSize(int pageSize) {
    if (pageSize < 1) {
      throw new IllegalArgumentException("page size must be at least 1, got " + pageSize);
    }
  }

  /**
   * Turns up to {@code pageSize + 1} collected entries into a page: the extra entry only tells that
   * there is more.
   */
  static ListPage page(List<StorageEntry> collected, int pageSize) {
    if (collected.size() <= pageSize) {
      return new ListPage(collected, null);
    }
    List<StorageEntry> entries = collected.subList(0, pageSize);
    return new ListPage(entries, entries.get(pageSize - 1).path());
  }
}

package dev.ferry.storage;

import java.util.List;
import java.util.Optional;

/**
 * One page of a listing.
 *
 * @param entries at most the requested page size, in ascending order of path
 * @param nextPageToken opaque token for the next page; null on the last page
 */
public record ListPage(List<StorageEntry> entries, String nextPageToken) {
  public ListPage {
    entries = List.copyOf(entries);
  }

  public boolean hasMore() {
    return nextPageToken != null;
  }

  public Optional<String> next() {
    return Optional.ofNullable(nextPageToken);
  }
}

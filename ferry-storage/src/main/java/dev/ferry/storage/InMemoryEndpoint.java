package dev.ferry.storage;

import dev.ferry.storage.StorageException.ErrorClass;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A thread-safe endpoint held in memory, for tests and the demo. Behaves like an object store:
 * there are no directories, only files whose paths share prefixes. Pending writes live outside the
 * visible map until committed. Modification times come from the injected clock.
 */
public final class InMemoryEndpoint implements StorageEndpoint {

  private record Blob(byte[] data, Instant modified) {}

  private final String uri;
  private final Clock clock;
  private final NavigableMap<String, Blob> files = new ConcurrentSkipListMap<>();
  private final AtomicInteger pendingWrites = new AtomicInteger();

  public InMemoryEndpoint() {
    this("memory://test", Clock.systemUTC());
  }

  public InMemoryEndpoint(String uri, Clock clock) {
    this.uri = uri;
    this.clock = clock;
  }

  /** Stores {@code data} at {@code path} at once, with the clock's time (a test fixture). */
  public void put(String path, byte[] data) {
    put(path, data, clock.instant());
  }

  /** Stores {@code data} at {@code path} with the given modification time (a test fixture). */
  public void put(String path, byte[] data, Instant modified) {
    files.put(RelativePath.of(path).value(), new Blob(data.clone(), modified));
  }

  /** The content at {@code path}, if any. */
  public Optional<byte[]> content(String path) {
    return Optional.ofNullable(files.get(RelativePath.of(path).value())).map(b -> b.data().clone());
  }

  /** Writes begun and neither committed nor aborted yet: temporary objects that exist. */
  public int pendingWrites() {
    return pendingWrites.get();
  }

  /** Number of visible files. */
  public int size() {
    return files.size();
  }

  @Override
  public String uri() {
    return uri;
  }

  @Override
  public ListPage list(String prefix, String pageToken, int pageSize) {
    Listing.checkPageSize(pageSize);
    RelativePath base = Listing.prefix(prefix);
    List<StorageEntry> out = new ArrayList<>();
    int limit = pageSize + 1;
    if (base == null) {
      collect(pageToken == null ? files : files.tailMap(pageToken, false), out, limit);
    } else {
      String exact = base.value();
      Blob blob = files.get(exact);
      if (blob != null && (pageToken == null || exact.compareTo(pageToken) > 0)) {
        out.add(new StorageEntry(exact, blob.data().length, blob.modified()));
      }
      // every key starting with "exact/" lies in ["exact/", "exact0"): '0' follows '/'
      NavigableMap<String, Blob> below = files.subMap(exact + "/", true, exact + "0", false);
      if (pageToken != null) {
        below = below.tailMap(pageToken, false);
      }
      collect(below, out, limit);
    }
    return Listing.page(out, pageSize);
  }

  private static void collect(Map<String, Blob> from, List<StorageEntry> out, int limit) {
    for (Map.Entry<String, Blob> e : from.entrySet()) {
      if (out.size() >= limit) {
        return;
      }
      out.add(new StorageEntry(e.getKey(), e.getValue().data().length, e.getValue().modified()));
    }
  }

  @Override
  public Optional<StorageEntry> stat(String path) {
    String key = RelativePath.of(path).value();
    Blob blob = files.get(key);
    return blob == null
        ? Optional.empty()
        : Optional.of(new StorageEntry(key, blob.data().length, blob.modified()));
  }

  @Override
  public InputStream openRange(String path, long offset, long length) {
    if (offset < 0 || length < 0) {
      throw new IllegalArgumentException(
          "negative offset " + offset + " or length " + length + " for " + path);
    }
    String key = RelativePath.of(path).value();
    Blob blob = files.get(key);
    if (blob == null) {
      throw new StorageException(ErrorClass.NOT_FOUND, "'" + key + "' at " + uri + ": not found");
    }
    byte[] data = blob.data();
    int from = (int) Math.min(offset, data.length);
    int len = (int) Math.min(length, data.length - from);
    return new ByteArrayInputStream(data, from, len);
  }

  @Override
  public PendingWrite beginWrite(String path) {
    RelativePath rel = RelativePath.of(path);
    pendingWrites.incrementAndGet();
    return new MemoryPendingWrite(rel);
  }

  @Override
  public boolean delete(String path) {
    return files.remove(RelativePath.of(path).value()) != null;
  }

  @Override
  public void close() {
    // nothing to release
  }

  @Override
  public String toString() {
    return "InMemoryEndpoint[" + uri + ", " + files.size() + " files]";
  }

  private final class MemoryPendingWrite implements PendingWrite {
    private final RelativePath path;
    private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    private final OutputStream output;
    private volatile boolean outputClosed;
    private volatile boolean committed;
    private volatile boolean aborted;

    MemoryPendingWrite(RelativePath path) {
      this.path = path;
      this.output =
          new OutputStream() {
            @Override
            public void write(int b) throws IOException {
              write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
              if (outputClosed || committed || aborted) {
                throw new IOException("write to '" + path + "' at " + uri + " is finished");
              }
              synchronized (buffer) {
                buffer.write(b, off, len);
              }
            }

            @Override
            public void close() {
              outputClosed = true;
            }
          };
    }

    @Override
    public RelativePath path() {
      return path;
    }

    @Override
    public OutputStream output() {
      return output;
    }

    @Override
    public long bytesWritten() {
      synchronized (buffer) {
        return buffer.size();
      }
    }

    @Override
    public InputStream readBack() {
      requireOpen("read back");
      outputClosed = true;
      synchronized (buffer) {
        return new ByteArrayInputStream(buffer.toByteArray());
      }
    }

    @Override
    public synchronized void commit() {
      if (committed) {
        return;
      }
      requireOpen("commit");
      outputClosed = true;
      byte[] data;
      synchronized (buffer) {
        data = buffer.toByteArray();
      }
      files.put(path.value(), new Blob(data, clock.instant()));
      committed = true;
      pendingWrites.decrementAndGet();
    }

    @Override
    public synchronized void abort() {
      if (committed || aborted) {
        return;
      }
      aborted = true;
      pendingWrites.decrementAndGet();
    }

    @Override
    public boolean committed() {
      return committed;
    }

    private void requireOpen(String action) {
      if (aborted) {
        throw new IllegalStateException(
            "cannot " + action + " '" + path + "' at " + uri + ": write was aborted");
      }
    }
  }
}

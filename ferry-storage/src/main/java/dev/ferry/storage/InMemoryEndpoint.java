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
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A thread-safe endpoint held in memory, for tests and the demo. Behaves like an object store:
 * there are no directories, only files whose paths share prefixes. Pending writes live outside the
 * visible map until committed. Modification times come from the injected clock.
 *
 * <p>{@link MultipartResume}: a resumable write lives in memory under its token until committed or
 * aborted. {@link ResumableWrite#sync()} marks what was written durable; {@link
 * ResumableWrite#detach()} drops the bytes that were not (as a crash would); {@link #resume} takes
 * the write over under a new token, after which the old object fails on every call.
 */
public final class InMemoryEndpoint implements StorageEndpoint, MultipartResume {
  private static final String TOKEN_PREFIX = "memory-resume:";

  private record Blob(byte[] data, Instant modified) {}

  private final String uri;
  private final Clock clock;
  private final NavigableMap<String, Blob> files = new ConcurrentSkipListMap<>();
  private final AtomicInteger pendingWrites = new AtomicInteger();
  private final Map<String, MemoryResumableWrite> resumable = new ConcurrentHashMap<>();

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
  public ResumableWrite beginResumableWrite(String path, long partSize) {
    if (partSize < 1) {
      throw new IllegalArgumentException("part size must be positive, got " + partSize);
    }
    RelativePath rel = RelativePath.of(path);
    pendingWrites.incrementAndGet();
    MemoryResumableWrite write = new MemoryResumableWrite(rel, new byte[0], 0);
    resumable.put(write.token, write);
    return write;
  }

  @Override
  public Optional<ResumableWrite> resume(String resumeToken) {
    if (resumeToken == null || !resumeToken.startsWith(TOKEN_PREFIX)) {
      throw new IllegalArgumentException("not an in-memory resume token: " + resumeToken);
    }
    MemoryResumableWrite old = resumable.remove(resumeToken);
    if (old == null) {
      return Optional.empty();
    }
    MemoryResumableWrite taken = old.takeOver();
    if (taken == null) {
      return Optional.empty(); // committed or aborted just now
    }
    resumable.put(taken.token, taken);
    return Optional.of(taken);
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

  /**
   * A resumable write; every method synchronizes on the write, so that a take-over, an abort from
   * another thread and the writer see one state.
   */
  private final class MemoryResumableWrite implements ResumableWrite {
    private final RelativePath path;
    private final String token = TOKEN_PREFIX + UUID.randomUUID();
    private byte[] data;
    private int length;
    private long durable;
    private State state = State.OPEN;
    private boolean outputClosed;
    private final OutputStream output =
        new OutputStream() {
          @Override
          public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
          }

          @Override
          public void write(byte[] b, int off, int len) throws IOException {
            append(b, off, len);
          }

          @Override
          public void close() {
            synchronized (MemoryResumableWrite.this) {
              outputClosed = true;
            }
          }
        };

    private enum State {
      OPEN,
      COMMITTED,
      ABORTED,
      DETACHED,
      TAKEN_OVER
    }

    MemoryResumableWrite(RelativePath path, byte[] data, int length) {
      this.path = path;
      this.data = data;
      this.length = length;
      this.durable = length;
    }

    private synchronized void append(byte[] b, int off, int len) throws IOException {
      if (outputClosed || state != State.OPEN) {
        throw new IOException("write to '" + path + "' at " + uri + " is " + stateText());
      }
      if (length + len > data.length) {
        data = Arrays.copyOf(data, Math.max(length + len, data.length * 2));
      }
      System.arraycopy(b, off, data, length, len);
      length += len;
    }

    /** The durable prefix, under a new object and token; null unless open or detached. */
    synchronized MemoryResumableWrite takeOver() {
      if (state != State.OPEN && state != State.DETACHED) {
        return null;
      }
      int keep = (int) durable;
      state = State.TAKEN_OVER;
      return new MemoryResumableWrite(path, Arrays.copyOf(data, keep), keep);
    }

    private String stateText() {
      return outputClosed && state == State.OPEN
          ? "closed"
          : state.name().toLowerCase(Locale.ROOT).replace('_', ' ');
    }

    private void requireOpen(String action) {
      if (state != State.OPEN) {
        throw new IllegalStateException(
            "cannot " + action + " '" + path + "' at " + uri + ": write is " + stateText());
      }
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
    public synchronized long bytesWritten() {
      return length;
    }

    @Override
    public String resumeToken() {
      return token;
    }

    @Override
    public synchronized long durableBytes() {
      return durable;
    }

    @Override
    public synchronized long sync() {
      requireOpen("sync");
      durable = length;
      return durable;
    }

    @Override
    public synchronized InputStream readBack() {
      requireOpen("read back");
      outputClosed = true;
      return new ByteArrayInputStream(Arrays.copyOf(data, length));
    }

    @Override
    public synchronized InputStream readBack(long offset, long len) {
      if (offset < 0 || len < 0) {
        throw new IllegalArgumentException(
            "negative offset " + offset + " or length " + len + " for " + path);
      }
      requireOpen("read back");
      int from = (int) Math.min(offset, length);
      int n = (int) Math.min(len, length - from);
      return new ByteArrayInputStream(Arrays.copyOfRange(data, from, from + n));
    }

    @Override
    public synchronized boolean rewindTo(long offset) {
      requireOpen("rewind");
      if (offset < 0 || offset > durable) {
        throw new IllegalArgumentException(
            "cannot rewind '" + path + "' to " + offset + ": " + durable + " bytes durable");
      }
      length = (int) offset;
      durable = offset;
      return true;
    }

    @Override
    public synchronized void detach() {
      if (state != State.OPEN) {
        return;
      }
      state = State.DETACHED;
      length = (int) durable; // what was not synced is lost, as in a crash
    }

    @Override
    public synchronized void commit() {
      if (state == State.COMMITTED) {
        return;
      }
      requireOpen("commit");
      outputClosed = true;
      files.put(path.value(), new Blob(Arrays.copyOf(data, length), clock.instant()));
      state = State.COMMITTED;
      resumable.remove(token);
      pendingWrites.decrementAndGet();
    }

    @Override
    public synchronized void abort() {
      if (state != State.OPEN) {
        return; // a detached write is no longer this object's to abort: resume it to abort it
      }
      state = State.ABORTED;
      resumable.remove(token);
      pendingWrites.decrementAndGet();
    }

    @Override
    public synchronized boolean committed() {
      return state == State.COMMITTED;
    }
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

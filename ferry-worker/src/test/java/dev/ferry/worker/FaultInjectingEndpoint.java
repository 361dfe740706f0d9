package dev.ferry.worker;

import dev.ferry.storage.ListPage;
import dev.ferry.storage.MultipartResume;
import dev.ferry.storage.MultipartResume.ConcurrentRanges;
import dev.ferry.storage.MultipartResume.ResumableWrite;
import dev.ferry.storage.PendingWrite;
import dev.ferry.storage.RelativePath;
import dev.ferry.storage.StorageEndpoint;
import dev.ferry.storage.StorageEntry;
import dev.ferry.storage.StorageException;
import dev.ferry.storage.StorageException.ErrorClass;
import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Wraps any endpoint and breaks it on purpose, as a flaky network or disk would. Each fault is
 * armed at an absolute byte offset of a file and fires once, on the first stream that crosses it:
 *
 * <ul>
 *   <li>{@link #flipOnWrite}: one bit of the byte at that offset is flipped on its way into a write
 *       ({@link PendingWrite#output()});
 *   <li>{@link #flipOnRead}: flipped on its way out of {@link #openRange} (a source read);
 *   <li>{@link #flipOnReadBack}: flipped on its way out of a write's read-back (verification);
 *   <li>{@link #dropReadAt} / {@link #dropWriteAt}: the stream fails with an {@link IOException}
 *       ("connection reset") when it reaches that offset, after every byte before it went through.
 * </ul>
 *
 * <p>Counters tell what went through since {@link #resetCounters()}: bytes read from the source,
 * bytes written, bytes read back, and the lowest offset any source read started at. The {@link
 * MultipartResume} capability of the wrapped endpoint is wrapped too (its writes suffer the same
 * faults); other capabilities are hidden, since they would bypass the faults. Thread-safe.
 */
final class FaultInjectingEndpoint implements StorageEndpoint {
  private static final long DISARMED = -1;

  private final StorageEndpoint delegate;
  private final AtomicLong flipOnWrite = new AtomicLong(DISARMED);
  private final AtomicLong flipOnRead = new AtomicLong(DISARMED);
  private final AtomicLong flipOnReadBack = new AtomicLong(DISARMED);
  private final AtomicLong dropReadAt = new AtomicLong(DISARMED);
  private final AtomicLong dropWriteAt = new AtomicLong(DISARMED);
  private final AtomicLong noDrop = new AtomicLong(DISARMED);
  private volatile boolean serialVerification;

  private final AtomicLong bytesRead = new AtomicLong();
  private final AtomicLong bytesWritten = new AtomicLong();
  private final AtomicLong bytesReadBack = new AtomicLong();
  private final AtomicLong lowestReadOffset = new AtomicLong(Long.MAX_VALUE);
  private volatile boolean rangedReadBack = true;
  private volatile boolean concurrentRanges;
  private final AtomicLong rangeSyncs = new AtomicLong();

  FaultInjectingEndpoint(StorageEndpoint delegate) {
    this.delegate = delegate;
  }

  FaultInjectingEndpoint flipOnWrite(long offset) {
    flipOnWrite.set(offset);
    return this;
  }

  FaultInjectingEndpoint flipOnRead(long offset) {
    flipOnRead.set(offset);
    return this;
  }

  FaultInjectingEndpoint flipOnReadBack(long offset) {
    flipOnReadBack.set(offset);
    return this;
  }

  /** Chunks are synced and read back on the copying thread, as for a write that cannot overlap. */
  FaultInjectingEndpoint serialVerification() {
    serialVerification = true;
    return this;
  }

  FaultInjectingEndpoint dropReadAt(long offset) {
    dropReadAt.set(offset);
    return this;
  }

  FaultInjectingEndpoint dropWriteAt(long offset) {
    dropWriteAt.set(offset);
    return this;
  }

  /**
   * Lets resumable writes offer the wrapped write's {@link ConcurrentRanges} (hidden by default, so
   * that the tests written for the in-order path keep testing it), with the write faults applied to
   * {@link ConcurrentRanges#writeAt} at the range's absolute offsets.
   */
  FaultInjectingEndpoint withConcurrentRanges() {
    concurrentRanges = true;
    return this;
  }

  /** How many times {@link ConcurrentRanges#sync()} was called (not reset by resetCounters). */
  long rangeSyncs() {
    return rangeSyncs.get();
  }

  /** Makes resumable writes refuse ranged read-back, as an adapter without it does. */
  FaultInjectingEndpoint withoutRangedReadBack() {
    rangedReadBack = false;
    return this;
  }

  /** True while some fault is armed and has not fired. */
  boolean armed() {
    return flipOnWrite.get() >= 0
        || flipOnRead.get() >= 0
        || flipOnReadBack.get() >= 0
        || dropReadAt.get() >= 0
        || dropWriteAt.get() >= 0;
  }

  void resetCounters() {
    bytesRead.set(0);
    bytesWritten.set(0);
    bytesReadBack.set(0);
    lowestReadOffset.set(Long.MAX_VALUE);
  }

  /** Bytes that came out of {@link #openRange} streams. */
  long bytesRead() {
    return bytesRead.get();
  }

  /** Bytes that went into writes' output streams. */
  long bytesWritten() {
    return bytesWritten.get();
  }

  /** Bytes that came out of writes' read-back streams. */
  long bytesReadBack() {
    return bytesReadBack.get();
  }

  /** The lowest offset a source read yielded bytes from; {@link Long#MAX_VALUE} if none. */
  long lowestReadOffset() {
    return lowestReadOffset.get();
  }

  @Override
  public String uri() {
    return delegate.uri();
  }

  @Override
  public ListPage list(String prefix, String pageToken, int pageSize) {
    return delegate.list(prefix, pageToken, pageSize);
  }

  @Override
  public Optional<StorageEntry> stat(String path) {
    return delegate.stat(path);
  }

  @Override
  public InputStream openRange(String path, long offset, long length) {
    InputStream in = delegate.openRange(path, offset, length);
    return new FaultyInput(in, offset, flipOnRead, dropReadAt, bytesRead, true);
  }

  @Override
  public PendingWrite beginWrite(String path) {
    return new FaultyWrite(delegate.beginWrite(path), 0);
  }

  @Override
  public boolean delete(String path) {
    return delegate.delete(path);
  }

  @Override
  public <C> Optional<C> capability(Class<C> type) {
    if (type == MultipartResume.class) {
      return delegate
          .capability(MultipartResume.class)
          .map(resume -> type.cast(new FaultyResume(resume)));
    }
    return type.isInstance(this) ? Optional.of(type.cast(this)) : Optional.empty();
  }

  @Override
  public void close() {
    delegate.close();
  }

  @Override
  public String toString() {
    return "FaultInjecting[" + delegate + "]";
  }

  private static IOException connectionReset(long offset) {
    return new IOException("connection reset (injected) at byte " + offset);
  }

  /** An input stream at {@code position} of a file, suffering the read faults. */
  private final class FaultyInput extends FilterInputStream {
    private final AtomicLong flip;
    private final AtomicLong drop;
    private final AtomicLong counter;
    private final boolean source;
    private long position;

    FaultyInput(
        InputStream in,
        long position,
        AtomicLong flip,
        AtomicLong drop,
        AtomicLong counter,
        boolean source) {
      super(in);
      this.position = position;
      this.flip = flip;
      this.drop = drop;
      this.counter = counter;
      this.source = source;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n = read(one, 0, 1);
      return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      long dropAt = drop.get();
      if (dropAt >= position && dropAt < position + len) {
        if (dropAt == position && drop.compareAndSet(dropAt, DISARMED)) {
          throw connectionReset(position);
        }
        len = (int) (dropAt - position); // read up to the drop, fail on the next call
      }
      int n = super.read(b, off, len);
      if (n <= 0) {
        return n;
      }
      long flipAt = flip.get();
      if (flipAt >= position && flipAt < position + n && flip.compareAndSet(flipAt, DISARMED)) {
        b[off + (int) (flipAt - position)] ^= 0x01;
      }
      counter.addAndGet(n);
      if (source) {
        lowestReadOffset.accumulateAndGet(position, Math::min);
      }
      position += n;
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      long skipped = super.skip(n);
      position += skipped;
      return skipped;
    }
  }

  /**
   * An output stream whose next byte lands at {@code position.get()}, suffering the write faults.
   */
  private final class FaultyOutput extends FilterOutputStream {
    private final AtomicLong position;

    FaultyOutput(OutputStream out, AtomicLong position) {
      super(out);
      this.position = position;
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      long at = position.get();
      long dropAt = dropWriteAt.get();
      if (dropAt >= at && dropAt < at + len) {
        int before = (int) (dropAt - at);
        write(b, off, before);
        if (dropWriteAt.compareAndSet(dropAt, DISARMED)) {
          throw connectionReset(dropAt);
        }
        write(b, off + before, len - before);
        return;
      }
      long flipAt = flipOnWrite.get();
      byte[] data = b;
      int from = off;
      if (flipAt >= at && flipAt < at + len && flipOnWrite.compareAndSet(flipAt, DISARMED)) {
        data = Arrays.copyOfRange(b, off, off + len);
        from = 0;
        data[(int) (flipAt - at)] ^= 0x01;
      }
      out.write(data, from, len);
      bytesWritten.addAndGet(len);
      position.addAndGet(len);
    }
  }

  /** A plain write with faulty output and read-back. */
  private class FaultyWrite implements PendingWrite {
    final PendingWrite real;
    final AtomicLong position;
    private final OutputStream output;

    FaultyWrite(PendingWrite real, long position) {
      this.real = real;
      this.position = new AtomicLong(position);
      this.output = new FaultyOutput(real.output(), this.position);
    }

    @Override
    public RelativePath path() {
      return real.path();
    }

    @Override
    public OutputStream output() {
      return output;
    }

    @Override
    public long bytesWritten() {
      return real.bytesWritten();
    }

    @Override
    public InputStream readBack() {
      return new FaultyInput(real.readBack(), 0, flipOnReadBack, noDrop, bytesReadBack, false);
    }

    @Override
    public void commit() {
      real.commit();
    }

    @Override
    public void abort() {
      real.abort();
    }

    @Override
    public boolean committed() {
      return real.committed();
    }
  }

  /** A resumable write with faulty output and read-back; writing resumes at its durable bytes. */
  private final class FaultyResumableWrite extends FaultyWrite implements ResumableWrite {
    private final ResumableWrite resumable;

    FaultyResumableWrite(ResumableWrite real) {
      super(real, real.durableBytes());
      this.resumable = real;
    }

    @Override
    public String resumeToken() {
      return resumable.resumeToken();
    }

    @Override
    public long durableBytes() {
      return resumable.durableBytes();
    }

    @Override
    public long sync() {
      return resumable.sync();
    }

    /** As the real write says, unless the test turned the verifier thread off. */
    @Override
    public boolean syncsConcurrently() {
      return !serialVerification && resumable.syncsConcurrently();
    }

    @Override
    public InputStream readBack(long offset, long length) {
      if (!rangedReadBack) {
        throw new StorageException(ErrorClass.UNSUPPORTED, "ranged read-back disabled (test)");
      }
      InputStream in = resumable.readBack(offset, length);
      return new FaultyInput(in, offset, flipOnReadBack, noDrop, bytesReadBack, false);
    }

    @Override
    public boolean rewindTo(long offset) {
      boolean cut = resumable.rewindTo(offset);
      if (cut) {
        position.set(offset);
      }
      return cut;
    }

    @Override
    public void detach() {
      resumable.detach();
    }

    @Override
    public Optional<ConcurrentRanges> concurrentRanges() {
      return concurrentRanges
          ? resumable.concurrentRanges().map(FaultyRanges::new)
          : Optional.empty();
    }
  }

  /** Ranges written at their offsets, suffering the write faults. */
  private final class FaultyRanges implements ConcurrentRanges {
    private final ConcurrentRanges real;

    FaultyRanges(ConcurrentRanges real) {
      this.real = real;
    }

    @Override
    public void writeAt(long offset, ByteBuffer bytes) throws IOException {
      int len = bytes.remaining();
      long dropAt = dropWriteAt.get();
      if (dropAt >= offset
          && dropAt < offset + len
          && dropWriteAt.compareAndSet(dropAt, DISARMED)) {
        ByteBuffer head = bytes.duplicate();
        head.limit(head.position() + (int) (dropAt - offset));
        bytesWritten.addAndGet(head.remaining());
        real.writeAt(offset, head);
        throw connectionReset(dropAt);
      }
      long flipAt = flipOnWrite.get();
      if (flipAt >= offset
          && flipAt < offset + len
          && flipOnWrite.compareAndSet(flipAt, DISARMED)) {
        ByteBuffer copy = ByteBuffer.allocate(len).put(bytes.duplicate()).flip();
        int at = (int) (flipAt - offset);
        copy.put(at, (byte) (copy.get(at) ^ 0x01));
        bytes.position(bytes.limit());
        bytes = copy;
      }
      bytesWritten.addAndGet(len);
      real.writeAt(offset, bytes);
    }

    @Override
    public long sync() {
      rangeSyncs.incrementAndGet();
      return real.sync();
    }
  }

  private final class FaultyResume implements MultipartResume {
    private final MultipartResume real;

    FaultyResume(MultipartResume real) {
      this.real = real;
    }

    @Override
    public ResumableWrite beginResumableWrite(String path, long partSize) {
      return new FaultyResumableWrite(real.beginResumableWrite(path, partSize));
    }

    @Override
    public Optional<ResumableWrite> resume(String resumeToken) {
      return real.resume(resumeToken).map(FaultyResumableWrite::new);
    }
  }
}

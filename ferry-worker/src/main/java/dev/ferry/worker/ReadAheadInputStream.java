package dev.ferry.worker;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Reads a source stream on another thread, up to {@code depth} buffers ahead of the consumer, so
 * that reading the source overlaps with what the consumer does with the bytes: writing them,
 * syncing the destination, reading it back to verify. Without it a large-file copy is strictly
 * serial (read, write, fsync, read back, read…) and waits for the source's disk while the
 * destination's disk is busy syncing, and the other way round.
 *
 * <p>The bytes are the same, in the same order; a failure of the source (an {@link IOException} or
 * an unchecked exception such as a {@code StorageException}) is thrown to the consumer at the point
 * in the stream where it happened, after the bytes read before it.
 *
 * <p><b>Threads.</b> The reading runs on a shared pool of daemon threads ({@code
 * ferry-read-ahead-N}, created on demand, idle ones end after 30 s): the copier is stateless and
 * has no lifecycle of its own to hang a pool on. The reader thread owns the source and closes it
 * when it ends. {@link #close()} stops the reader (interrupting a blocked read) and returns at
 * once; the source is closed shortly after, by the reader. A consumer blocked waiting for bytes is
 * interruptible ({@link InterruptedIOException}), so a task's stop reaches it even when the source
 * is stalled.
 *
 * <p>Memory: at most {@code depth + 2} buffers of {@code bufferSize} bytes, allocated as needed and
 * recycled. One consumer thread; not thread-safe otherwise.
 */
final class ReadAheadInputStream extends InputStream {
  private static final AtomicInteger THREADS = new AtomicInteger();
  private static final ExecutorService READERS =
      new ThreadPoolExecutor(
          0,
          Integer.MAX_VALUE,
          30,
          TimeUnit.SECONDS,
          new SynchronousQueue<>(),
          r -> {
            Thread t = new Thread(r, "ferry-read-ahead-" + THREADS.incrementAndGet());
            t.setDaemon(true);
            return t;
          });

  /**
   * A filled buffer, the end of the stream ({@code data == null, failure == null}) or a failure.
   */
  private record Block(byte[] data, int length, Throwable failure) {
    static final Block END = new Block(null, 0, null);
  }

  private final InputStream source;
  private final int bufferSize;
  private final int maxBuffers;
  private final BlockingQueue<Block> filled;
  private final BlockingQueue<byte[]> free;
  private final Object lock = new Object();
  private Thread readerThread; // guarded by lock: the thread filling, while it does
  private volatile boolean closed;
  private int allocated; // reader thread only

  private Block current; // consumer thread only
  private int position;
  private boolean ended;

  /**
   * Starts reading {@code source} at once.
   *
   * @param bufferSize bytes per buffer handed over, at least 1
   * @param depth filled buffers that may wait for the consumer, at least 1
   */
  ReadAheadInputStream(InputStream source, int bufferSize, int depth) {
    if (bufferSize < 1 || depth < 1) {
      throw new IllegalArgumentException(
          "buffer size and depth must be positive, got " + bufferSize + " and " + depth);
    }
    this.source = source;
    this.bufferSize = bufferSize;
    this.maxBuffers = depth + 2; // depth waiting, one being filled, one being consumed
    // more room than buffers: the end or failure marker always fits
    this.filled = new ArrayBlockingQueue<>(maxBuffers + 1);
    this.free = new ArrayBlockingQueue<>(maxBuffers);
    READERS.execute(this::fill);
  }

  private void fill() {
    synchronized (lock) {
      if (closed) {
        closeSource();
        return;
      }
      readerThread = Thread.currentThread();
    }
    try {
      readAhead();
    } finally {
      closeSource();
      synchronized (lock) {
        readerThread = null;
        Thread.interrupted(); // an interrupt from close() must not reach the pool's next task
      }
    }
  }

  private void closeSource() {
    try {
      source.close();
    } catch (IOException | RuntimeException e) {
      // nobody reads any more; the source's own handles are released either way
    }
  }

  private void readAhead() {
    try {
      InputStream in = source;
      while (!closed) {
        byte[] buffer = free.poll();
        if (buffer == null) {
          if (allocated < maxBuffers) {
            buffer = new byte[bufferSize];
            allocated++;
          } else {
            buffer = free.take();
          }
        }
        int n = 0;
        Block last = null;
        while (n < buffer.length) {
          int r;
          try {
            r = in.read(buffer, n, buffer.length - n);
          } catch (IOException | RuntimeException | Error e) {
            last = new Block(null, 0, e); // after the bytes this buffer got before the failure
            break;
          }
          if (r < 0) {
            last = Block.END;
            break;
          }
          n += r;
        }
        if (n > 0) {
          filled.put(new Block(buffer, n, null));
        }
        if (last != null) {
          if (!closed) {
            filled.put(last);
          }
          return;
        }
      }
    } catch (InterruptedException e) {
      // closed by the consumer
    }
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (closed) {
      throw new IOException("read-ahead stream closed");
    }
    if (len == 0) {
      return 0;
    }
    if (ended) {
      return -1;
    }
    if (current == null || position == current.length()) {
      if (current != null) {
        free.offer(current.data());
        current = null;
      }
      Block next;
      try {
        next = filled.take();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while waiting for the source");
      }
      if (next.failure() != null) {
        ended = true;
        rethrow(next.failure());
      }
      if (next.data() == null) {
        ended = true;
        return -1;
      }
      current = next;
      position = 0;
    }
    int n = Math.min(len, current.length() - position);
    System.arraycopy(current.data(), position, b, off, n);
    position += n;
    return n;
  }

  private static void rethrow(Throwable failure) throws IOException {
    if (failure instanceof IOException e) {
      throw e;
    }
    if (failure instanceof RuntimeException e) {
      throw e;
    }
    throw (Error) failure;
  }

  /** Stops the reader; the source is closed by the reader thread as it ends. Idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    synchronized (lock) {
      if (readerThread != null) {
        readerThread.interrupt(); // ends a blocked put, take or interruptible read
      }
    }
    filled.clear(); // a reader blocked on a full queue gets its interrupt either way
    current = null;
  }
}

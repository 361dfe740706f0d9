package dev.ferry.worker;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.concurrent.CountDownLatch;

/**
 * Yields the first {@code before} bytes, then blocks until {@code gate} opens (or the thread is
 * interrupted), then yields the rest. {@code reached} opens when the stream starts waiting.
 */
final class GatedInputStream extends FilterInputStream {
  private final CountDownLatch gate;
  private final CountDownLatch reached;
  private long before;

  GatedInputStream(InputStream in, long before, CountDownLatch gate, CountDownLatch reached) {
    super(in);
    this.before = before;
    this.gate = gate;
    this.reached = reached;
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    int n = read(one, 0, 1);
    return n < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (before > 0) {
      int n = super.read(b, off, (int) Math.min(len, before));
      if (n > 0) {
        before -= n;
      }
      return n;
    }
    reached.countDown();
    try {
      gate.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("gate wait interrupted");
    }
    return super.read(b, off, len);
  }
}

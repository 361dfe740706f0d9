package dev.ferry.storage.sftp;

import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayDeque;
import java.util.Deque;
import org.apache.sshd.common.util.buffer.Buffer;
import org.apache.sshd.common.util.buffer.ByteArrayBuffer;
import org.apache.sshd.sftp.client.RawSftpClient;
import org.apache.sshd.sftp.client.SftpClient;
import org.apache.sshd.sftp.common.SftpConstants;
import org.apache.sshd.sftp.common.SftpException;

/**
 * Writes to an open SFTP file handle in chunks of {@value #CHUNK} bytes with up to {@value
 * #MAX_IN_FLIGHT} writes awaiting their acknowledgement, so that throughput is not bounded by one
 * chunk per round trip. {@link #flush()} sends what is buffered and waits for every
 * acknowledgement; {@link #acknowledged()} is then the file offset up to which the server confirmed
 * every byte.
 *
 * <p>Not thread-safe; owns neither the channel nor the handle ({@link #close()} drains, it does not
 * close the handle). A failed acknowledgement fails the call that collects it, and every later one.
 */
final class PipelinedWriter extends OutputStream {
  /** Every SFTP server must accept writes of 32 KiB (draft-ietf-secsh-filexfer-02). */
  static final int CHUNK = 32 * 1024;

  static final int MAX_IN_FLIGHT = 32;

  private record Pending(int id, long end) {}

  private final RawSftpClient raw;
  private final byte[] handle;
  private final byte[] buffer = new byte[CHUNK];
  private final Deque<Pending> pending = new ArrayDeque<>();
  private int count;
  private long offset;
  private long acknowledged;
  private IOException failure;
  private boolean closed;

  /**
   * @param client the channel the handle belongs to
   * @param handle open for writing
   * @param offset where the first byte goes (the durable prefix of a resumed write)
   */
  PipelinedWriter(SftpClient client, SftpClient.Handle handle, long offset) {
    if (!(client instanceof RawSftpClient r)) {
      throw new IllegalArgumentException("SFTP client " + client + " offers no raw access");
    }
    this.raw = r;
    this.handle = handle.getIdentifier();
    this.offset = offset;
    this.acknowledged = offset;
  }

  @Override
  public void write(int b) throws IOException {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    check();
    while (len > 0) {
      int n = Math.min(len, CHUNK - count);
      System.arraycopy(b, off, buffer, count, n);
      count += n;
      off += n;
      len -= n;
      if (count == CHUNK) {
        send();
      }
    }
  }

  /** Sends the buffered bytes and waits until the server acknowledged every write. */
  @Override
  public void flush() throws IOException {
    check();
    if (count > 0) {
      send();
    }
    while (!pending.isEmpty()) {
      awaitOldest();
    }
  }

  /** Flushes; further writes fail. The handle stays open. */
  @Override
  public void close() throws IOException {
    if (!closed) {
      try {
        flush();
      } finally {
        closed = true;
      }
    }
  }

  /**
   * Continues at {@code newOffset} (after the file was cut back there). Call after {@link
   * #flush()}, with nothing buffered or in flight.
   */
  void rewind(long newOffset) {
    if (count > 0 || !pending.isEmpty()) {
      throw new IllegalStateException("rewind with unflushed writes");
    }
    offset = newOffset;
    acknowledged = newOffset;
  }

  /** File offset up to which every byte was acknowledged by the server. */
  long acknowledged() {
    return acknowledged;
  }

  private void check() throws IOException {
    if (failure != null) {
      throw failure;
    }
    if (closed) {
      throw new IOException("stream is closed");
    }
  }

  private void send() throws IOException {
    // 9 bytes of SFTP header (length, type, id) are reserved in front, so send() need not copy
    Buffer request = new ByteArrayBuffer(9 + 4 + handle.length + 8 + 4 + count, false);
    request.rpos(9);
    request.wpos(9);
    request.putBytes(handle);
    request.putLong(offset);
    request.putBytes(buffer, 0, count);
    try {
      int id = raw.send(SftpConstants.SSH_FXP_WRITE, request);
      offset += count;
      count = 0;
      pending.addLast(new Pending(id, offset));
      while (pending.size() >= MAX_IN_FLIGHT) {
        awaitOldest();
      }
    } catch (IOException e) {
      failure = e;
      throw e;
    }
  }

  private void awaitOldest() throws IOException {
    Pending p = pending.removeFirst();
    try {
      Buffer response = raw.receive(p.id());
      response.getInt(); // length
      int type = response.getUByte();
      response.getInt(); // request id
      if (type != SftpConstants.SSH_FXP_STATUS) {
        throw new IOException(
            "unexpected SFTP response "
                + SftpConstants.getCommandMessageName(type)
                + " to a write");
      }
      int status = response.getInt();
      if (status != SftpConstants.SSH_FX_OK) {
        throw new SftpException(status, response.getString());
      }
      acknowledged = p.end();
    } catch (IOException e) {
      failure = e;
      throw e;
    }
  }
}

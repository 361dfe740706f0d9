package dev.ferry.telemetry.aggregate;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** Minimal growable buffer and reader with LEB128 varints, for {@link LinkStats}' encoding. */
final class VarBytes {
  private VarBytes() {}

  static final class Writer {
    private byte[] buf = new byte[128];
    private int len;

    private void ensure(int more) {
      if (len + more > buf.length) {
        buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + more));
      }
    }

    Writer writeByte(int b) {
      ensure(1);
      buf[len++] = (byte) b;
      return this;
    }

    /** Unsigned LEB128; {@code v} must not be negative. */
    Writer writeVarLong(long v) {
      if (v < 0) {
        throw new IllegalArgumentException("negative varlong " + v);
      }
      ensure(10);
      while ((v & ~0x7FL) != 0) {
        buf[len++] = (byte) ((v & 0x7F) | 0x80);
        v >>>= 7;
      }
      buf[len++] = (byte) v;
      return this;
    }

    /** Zig-zag encoded signed varint. */
    Writer writeSignedVarLong(long v) {
      ensure(10);
      long z = (v << 1) ^ (v >> 63);
      while ((z & ~0x7FL) != 0) {
        buf[len++] = (byte) ((z & 0x7F) | 0x80);
        z >>>= 7;
      }
      buf[len++] = (byte) z;
      return this;
    }

    Writer writeBytes(byte[] b, int off, int n) {
      writeVarLong(n);
      ensure(n);
      System.arraycopy(b, off, buf, len, n);
      len += n;
      return this;
    }

    Writer writeString(String s) {
      byte[] b = s.getBytes(StandardCharsets.UTF_8);
      return writeBytes(b, 0, b.length);
    }

    byte[] toByteArray() {
      return Arrays.copyOf(buf, len);
    }
  }

  static final class Reader {
    private final byte[] buf;
    private int pos;

    Reader(byte[] buf) {
      this.buf = buf;
    }

    int readByte() {
      need(1);
      return buf[pos++] & 0xFF;
    }

    long readVarLong() {
      long v = 0;
      for (int shift = 0; shift < 64; shift += 7) {
        int b = readByte();
        v |= (long) (b & 0x7F) << shift;
        if ((b & 0x80) == 0) {
          return v;
        }
      }
      throw new IllegalArgumentException("varint longer than 10 bytes at " + pos);
    }

    long readSignedVarLong() {
      long z = readVarLong();
      return (z >>> 1) ^ -(z & 1);
    }

    int readLength() {
      long n = readVarLong();
      if (n > buf.length - pos) {
        throw new IllegalArgumentException(
            "length " + n + " at " + pos + " exceeds the " + buf.length + " bytes");
      }
      return (int) n;
    }

    /** Reads a length-prefixed slice; returns its offset and advances past it. */
    int readSlice(int length) {
      int at = pos;
      pos += length;
      return at;
    }

    String readString() {
      int n = readLength();
      String s = new String(buf, pos, n, StandardCharsets.UTF_8);
      pos += n;
      return s;
    }

    byte[] array() {
      return buf;
    }

    boolean hasRemaining() {
      return pos < buf.length;
    }

    private void need(int n) {
      if (pos + n > buf.length) {
        throw new IllegalArgumentException("truncated at " + pos + " of " + buf.length + " bytes");
      }
    }
  }
}

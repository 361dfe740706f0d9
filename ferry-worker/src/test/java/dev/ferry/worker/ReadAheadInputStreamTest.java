package dev.ferry.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ReadAheadInputStreamTest {

  private static byte[] random(int size) {
    byte[] data = new byte[size];
    new Random(size).nextBytes(data);
    return data;
  }

  /** Hands out at most 777 bytes per read, as a network stream might. */
  private static InputStream trickling(byte[] data) {
    return new FilterInputStream(new ByteArrayInputStream(data)) {
      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        return super.read(b, off, Math.min(len, 777));
      }
    };
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 4095, 4096, 4097, 100_003})
  void shouldDeliverTheSameBytesInOrder(int size) throws IOException {
    byte[] data = random(size);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (InputStream in = new ReadAheadInputStream(trickling(data), 4096, 3)) {
      byte[] buffer = new byte[1000];
      for (int n; (n = in.read(buffer)) >= 0; ) {
        out.write(buffer, 0, n);
      }
      assertThat(in.read()).isEqualTo(-1);
    }
    assertThat(out.toByteArray()).isEqualTo(data);
  }

  @Test
  void shouldThrowTheSourcesFailureAfterTheBytesReadBeforeIt() throws IOException {
    byte[] data = random(10_000);
    InputStream failing =
        new FilterInputStream(trickling(data)) {
          private long position;

          @Override
          public int read(byte[] b, int off, int len) throws IOException {
            if (position >= 6_000) {
              throw new IOException("connection reset at " + position);
            }
            int n = super.read(b, off, (int) Math.min(len, 6_000 - position));
            position += Math.max(0, n);
            return n;
          }
        };
    ByteArrayOutputStream got = new ByteArrayOutputStream();
    try (InputStream in = new ReadAheadInputStream(failing, 4096, 2)) {
      assertThatThrownBy(
              () -> {
                byte[] buffer = new byte[512];
                for (int n; (n = in.read(buffer)) >= 0; ) {
                  got.write(buffer, 0, n);
                }
              })
          .isInstanceOf(IOException.class)
          .hasMessage("connection reset at 6000");
    }
    byte[] expected = new byte[6_000];
    System.arraycopy(data, 0, expected, 0, expected.length);
    assertThat(got.toByteArray()).isEqualTo(expected);
  }

  @Test
  void shouldCloseTheSourceAndStopReadingWhenClosedEarly() throws IOException {
    AtomicBoolean sourceClosed = new AtomicBoolean();
    InputStream endless =
        new InputStream() {
          @Override
          public int read() {
            return 7;
          }

          @Override
          public int read(byte[] b, int off, int len) {
            java.util.Arrays.fill(b, off, off + len, (byte) 7);
            return len;
          }

          @Override
          public void close() {
            sourceClosed.set(true);
          }
        };
    InputStream in = new ReadAheadInputStream(endless, 1024, 2);
    assertThat(in.read()).isEqualTo(7);
    in.close();

    await().atMost(Duration.ofSeconds(10)).untilTrue(sourceClosed);
    assertThatThrownBy(in::read).isInstanceOf(IOException.class).hasMessageContaining("closed");
  }

  @Test
  void shouldLetAnInterruptReachAConsumerWaitingForAStalledSource() throws Exception {
    CountDownLatch never = new CountDownLatch(1);
    AtomicBoolean sourceClosed = new AtomicBoolean();
    InputStream stalled =
        new InputStream() {
          @Override
          public int read() throws IOException {
            try {
              never.await();
            } catch (InterruptedException e) {
              throw new InterruptedIOException("reader interrupted");
            }
            return -1;
          }

          @Override
          public void close() {
            sourceClosed.set(true);
          }
        };
    AtomicReference<Throwable> failure = new AtomicReference<>();
    ReadAheadInputStream in = new ReadAheadInputStream(stalled, 1024, 2);
    Thread consumer =
        new Thread(
            () -> {
              try {
                in.read();
              } catch (Throwable t) {
                failure.set(t);
              } finally {
                in.close();
              }
            });
    consumer.start();
    await().atMost(Duration.ofSeconds(10)).until(() -> consumer.getState() == Thread.State.WAITING);
    consumer.interrupt();
    consumer.join(10_000);

    assertThat(failure.get()).isInstanceOf(InterruptedIOException.class);
    await().atMost(Duration.ofSeconds(10)).untilTrue(sourceClosed); // the reader was stopped too
  }
}

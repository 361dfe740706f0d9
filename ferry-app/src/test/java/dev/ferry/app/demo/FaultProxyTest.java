package dev.ferry.app.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The proxy between real sockets: an echo server behind it, a client in front. */
class FaultProxyTest {
  private ServerSocket echo;
  private FaultProxy proxy;

  @BeforeEach
  void startEchoServer() throws IOException {
    echo = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread t =
        new Thread(
            () -> {
              while (!echo.isClosed()) {
                try {
                  Socket s = echo.accept();
                  Thread c =
                      new Thread(
                          () -> {
                            try (s;
                                InputStream in = s.getInputStream();
                                OutputStream out = s.getOutputStream()) {
                              in.transferTo(out);
                            } catch (IOException e) {
                              // the client went away
                            }
                          });
                  c.setDaemon(true);
                  c.start();
                } catch (IOException e) {
                  return;
                }
              }
            });
    t.setDaemon(true);
    t.start();
    proxy = FaultProxy.start(0, new InetSocketAddress("127.0.0.1", echo.getLocalPort()));
  }

  @AfterEach
  void stop() throws IOException {
    proxy.close();
    echo.close();
  }

  private Socket connect() throws IOException {
    Socket s = new Socket("127.0.0.1", proxy.port());
    s.setSoTimeout(10_000);
    return s;
  }

  private static byte[] roundTrip(Socket s, byte[] data) throws IOException {
    s.getOutputStream().write(data);
    s.getOutputStream().flush();
    byte[] back = s.getInputStream().readNBytes(data.length);
    return back;
  }

  @Test
  void shouldForwardBytesUnchangedWhileHealthy() throws IOException {
    byte[] data = new byte[300_000];
    new Random(1).nextBytes(data);
    try (Socket s = connect()) {
      assertThat(roundTrip(s, data)).isEqualTo(data);
    }
    assertThat(proxy.forwardedBytes()).isEqualTo(2L * data.length);
  }

  @Test
  void shouldStillForwardEveryByteWhileThrottled() throws IOException {
    // The bandwidth cap itself is TokenBucketTest's; here: nothing is lost or reordered.
    proxy.setCondition(new LinkCondition.Throttled(4 * 1024 * 1024));
    byte[] data = new byte[200_000];
    new Random(2).nextBytes(data);
    try (Socket s = connect()) {
      assertThat(roundTrip(s, data)).isEqualTo(data);
    }
  }

  @Test
  void shouldResetOpenConnectionsAndRefuseNewOnesWhileBrokenThenHeal() throws IOException {
    Socket open = connect();
    assertThat(roundTrip(open, new byte[] {1, 2, 3})).containsExactly(1, 2, 3);

    proxy.setCondition(new LinkCondition.Broken());
    assertThat(readFails(open)).as("the open connection is reset").isTrue();
    try (Socket refused = connect()) {
      assertThat(readFails(refused)).as("a new connection is reset").isTrue();
    }
    assertThat(proxy.resetConnections()).isGreaterThanOrEqualTo(2);

    proxy.setCondition(new LinkCondition.Healthy());
    try (Socket healed = connect()) {
      assertThat(roundTrip(healed, new byte[] {4, 5})).containsExactly(4, 5);
    }
    open.close();
  }

  /** Whether the socket is dead: a read fails with a reset or sees the end of the stream. */
  private static boolean readFails(Socket s) {
    try {
      s.getOutputStream().write(new byte[] {9});
      return s.getInputStream().read() < 0; // blocks at most the 10 s SO_TIMEOUT
    } catch (java.net.SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      return true;
    }
  }

  @Test
  void shouldCountConnections() throws IOException {
    try (Socket a = connect();
        Socket b = connect()) {
      roundTrip(a, new byte[] {1});
      roundTrip(b, new byte[] {2});
    }
    assertThat(proxy.acceptedConnections()).isEqualTo(2);
    assertThat(Arrays.asList(proxy.condition())).containsExactly(new LinkCondition.Healthy());
  }
}

package dev.ferry.app.demo;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A TCP proxy on a loopback port in front of one server, standing for the network path between two
 * sites, whose {@link LinkCondition} can be changed while it runs: healthy, throttled to a
 * bandwidth cap, or broken (every open connection reset, every new one reset at once).
 *
 * <p>Plain blocking sockets, one accept thread and two pump threads per open connection, all
 * daemons: the demo's SFTP client holds one or two long-lived connections, so this costs a handful
 * of parked threads and no CPU while idle. A throttled pump reads at most a tenth of a second's
 * worth of bytes, then parks until the {@link TokenBucket} lets them through; the cap applies to
 * each direction. Breaking closes both sockets of a connection with {@code SO_LINGER 0}, which
 * sends the client a TCP reset, as a failing firewall or a crashed middlebox would.
 *
 * <p>Thread-safe. {@link #close()} stops accepting and resets what is open.
 */
public final class FaultProxy implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(FaultProxy.class);

  private final InetSocketAddress target;
  private final ServerSocket server;
  private final Set<Connection> open = ConcurrentHashMap.newKeySet();
  private final AtomicInteger accepted = new AtomicInteger();
  private final AtomicInteger reset = new AtomicInteger();
  private final AtomicLong forwarded = new AtomicLong();
  private volatile LinkCondition condition = new LinkCondition.Healthy();
  private volatile TokenBucket upstream;
  private volatile TokenBucket downstream;
  private volatile boolean closed;

  private FaultProxy(ServerSocket server, InetSocketAddress target) {
    this.server = server;
    this.target = target;
  }

  /**
   * Listens on {@code 127.0.0.1:port} ({@code 0} for any free port) and forwards to {@code target}.
   *
   * @throws IOException when the port cannot be bound
   */
  public static FaultProxy start(int port, InetSocketAddress target) throws IOException {
    ServerSocket s = new ServerSocket();
    s.setReuseAddress(true);
    try {
      s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
    } catch (IOException e) {
      s.close();
      throw e;
    }
    FaultProxy p = new FaultProxy(s, target);
    Thread t = new Thread(p::acceptLoop, "fault-proxy-accept-" + s.getLocalPort());
    t.setDaemon(true);
    t.start();
    return p;
  }

  public int port() {
    return server.getLocalPort();
  }

  public LinkCondition condition() {
    return condition;
  }

  /** Connections accepted so far (including those reset at once while broken). */
  public int acceptedConnections() {
    return accepted.get();
  }

  /** Connections this proxy reset. */
  public int resetConnections() {
    return reset.get();
  }

  /** Bytes forwarded in both directions. */
  public long forwardedBytes() {
    return forwarded.get();
  }

  /** Changes the condition; {@link LinkCondition.Broken} resets every open connection now. */
  public void setCondition(LinkCondition c) {
    long now = System.nanoTime();
    if (c instanceof LinkCondition.Throttled t) {
      upstream = new TokenBucket(t.bytesPerSecond(), now);
      downstream = new TokenBucket(t.bytesPerSecond(), now);
    } else {
      upstream = null;
      downstream = null;
    }
    condition = c;
    if (c instanceof LinkCondition.Broken) {
      for (Connection conn : open) {
        conn.reset();
      }
    }
  }

  private void acceptLoop() {
    while (!closed) {
      Socket client;
      try {
        client = server.accept();
      } catch (IOException e) {
        if (!closed) {
          log.warn("fault proxy on port {} stopped accepting: {}", port(), e.toString());
        }
        return;
      }
      accepted.incrementAndGet();
      if (condition instanceof LinkCondition.Broken) {
        reset.incrementAndGet(); // counted before the client can observe the reset
        resetQuietly(client);
        continue;
      }
      Socket upstreamSocket = new Socket();
      try {
        upstreamSocket.connect(target, 5_000);
        client.setTcpNoDelay(true);
        upstreamSocket.setTcpNoDelay(true);
      } catch (IOException e) {
        log.debug("fault proxy: {} unreachable: {}", target, e.toString());
        resetQuietly(client);
        resetQuietly(upstreamSocket);
        continue;
      }
      Connection conn = new Connection(client, upstreamSocket);
      open.add(conn);
      conn.start();
    }
  }

  private static void resetQuietly(Socket s) {
    try {
      s.setSoLinger(true, 0);
    } catch (SocketException e) {
      // already closed
    }
    try {
      s.close();
    } catch (IOException e) {
      // nothing left to do
    }
  }

  @Override
  public void close() {
    closed = true;
    try {
      server.close();
    } catch (IOException e) {
      // closing anyway
    }
    for (Connection conn : open) {
      conn.reset();
    }
  }

  /** One proxied connection: two pumps, reset together. */
  private final class Connection {
    private final Socket client;
    private final Socket upstreamSocket;
    private final AtomicInteger pumpsRunning = new AtomicInteger(2);
    private volatile boolean wasReset;

    Connection(Socket client, Socket upstreamSocket) {
      this.client = client;
      this.upstreamSocket = upstreamSocket;
    }

    void start() {
      int port = client.getPort();
      pump(client, upstreamSocket, true, "fault-proxy-up-" + port);
      pump(upstreamSocket, client, false, "fault-proxy-down-" + port);
    }

    private void pump(Socket from, Socket to, boolean up, String name) {
      Thread t =
          new Thread(
              () -> {
                boolean failed = false;
                try {
                  InputStream in = from.getInputStream();
                  OutputStream out = to.getOutputStream();
                  byte[] buf = new byte[16 * 1024];
                  while (true) {
                    TokenBucket bucket = up ? upstream : downstream;
                    int max = bucket == null ? buf.length : bucket.chunkSize();
                    int n = in.read(buf, 0, max);
                    if (n < 0) {
                      break;
                    }
                    if (bucket != null) {
                      long wait = bucket.reserve(n, System.nanoTime());
                      if (wait > 0) {
                        LockSupport.parkNanos(wait);
                      }
                    }
                    if (wasReset) {
                      break;
                    }
                    out.write(buf, 0, n);
                    forwarded.addAndGet(n);
                  }
                  // half-close: let the other side finish what it is sending
                  if (!to.isClosed()) {
                    to.shutdownOutput();
                  }
                } catch (IOException e) {
                  failed = true; // a reset or a peer gone: close the whole connection
                } finally {
                  if (pumpsRunning.decrementAndGet() == 0 || failed || wasReset) {
                    closeBoth();
                  }
                }
              },
              name);
      t.setDaemon(true);
      t.start();
    }

    void reset() {
      if (!wasReset) {
        wasReset = true;
        reset.incrementAndGet();
      }
      resetQuietly(client);
      resetQuietly(upstreamSocket);
      open.remove(this);
    }

    private void closeBoth() {
      open.remove(this);
      try {
        client.close();
      } catch (IOException e) {
        // closing anyway
      }
      try {
        upstreamSocket.close();
      } catch (IOException e) {
        // closing anyway
      }
    }
  }
}

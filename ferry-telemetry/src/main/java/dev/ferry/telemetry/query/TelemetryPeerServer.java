package dev.ferry.telemetry.query;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.ferry.telemetry.aggregate.LinkKey;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The internal HTTP endpoint where a telemetry instance answers its peers with the partial
 * aggregates of the partitions it owns ({@link LocalStoreQueries}); {@link ClusterQueries} on the
 * other instances asks it. Listens on the instance's {@code application.server} address ({@code
 * TelemetryConfig.applicationServer}), which Kafka Streams advertises to the group.
 *
 * <ul>
 *   <li>{@code GET /internal/v1/telemetry/links}: every local link's totals.
 *   <li>{@code GET /internal/v1/telemetry/series?tenant=&src=&dst=&from=&to=} (epoch millis): one
 *       link's local windows.
 * </ul>
 *
 * <p>Not for clients: answers are partial by design. Bind it to the cluster's internal network, and
 * set a peer secret ({@code TelemetryConfig.peerSecret}, the same on every instance) so that every
 * request must carry {@code Authorization: Bearer <secret>}; without one the endpoint is open to
 * whoever reaches the port. Errors are RFC 9457 problem documents: 401 without the secret, 503
 * while the local stores cannot be read, 400 for bad parameters.
 */
public final class TelemetryPeerServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(TelemetryPeerServer.class);

  private final HttpServer server;
  private final ExecutorService executor;
  private final TelemetryQueries local;
  private final String secret;
  private boolean closed; // guarded by this

  /**
   * Starts listening at once.
   *
   * @param hostAndPort where to listen, {@code host:port}
   * @param local this instance's own stores, never a {@link ClusterQueries}
   * @param secret the shared peer secret, or null for none
   * @throws UncheckedIOException when the address cannot be bound
   */
  public TelemetryPeerServer(String hostAndPort, TelemetryQueries local, String secret) {
    this.local = local;
    this.secret = secret;
    int colon = hostAndPort.lastIndexOf(':');
    InetSocketAddress address =
        new InetSocketAddress(
            hostAndPort.substring(0, colon), Integer.parseInt(hostAndPort.substring(colon + 1)));
    try {
      server = HttpServer.create(address, 0);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "telemetry peer endpoint cannot listen on " + hostAndPort + ": " + e.getMessage(), e);
    }
    executor =
        Executors.newFixedThreadPool(
            2,
            r -> {
              Thread t = new Thread(r, "ferry-telemetry-peer-http");
              t.setDaemon(true);
              return t;
            });
    server.setExecutor(executor);
    server.createContext(PeerProtocol.LINKS_PATH, ex -> handle(ex, this::links));
    server.createContext(PeerProtocol.SERIES_PATH, ex -> handle(ex, this::series));
    server.createContext(
        "/", ex -> problem(ex, 404, "not-found", "Not found", ex.getRequestURI().getPath()));
    server.start();
    log.info("telemetry peer endpoint listening on {}", address);
  }

  /** The port actually bound. */
  public int port() {
    return server.getAddress().getPort();
  }

  private interface Handler {
    byte[] answer(HttpExchange ex);
  }

  private void handle(HttpExchange ex, Handler h) throws IOException {
    try {
      if (!PeerProtocol.authorized(secret, ex.getRequestHeaders().getFirst("Authorization"))) {
        problem(ex, 401, "unauthorized", "Unauthorized", "a peer secret is required");
        return;
      }
      send(ex, 200, "application/json", h.answer(ex));
    } catch (TelemetryUnavailableException e) {
      problem(ex, 503, "telemetry-unavailable", "Telemetry unavailable", e.getMessage());
    } catch (IllegalArgumentException e) {
      problem(ex, 400, "invalid-request", "Invalid request", e.getMessage());
    } catch (RuntimeException e) {
      log.warn("telemetry peer request {} failed", ex.getRequestURI(), e);
      problem(ex, 500, "internal-error", "Internal error", e.toString());
    }
  }

  private byte[] links(HttpExchange ex) {
    return PeerProtocol.links(local.links());
  }

  private byte[] series(HttpExchange ex) {
    Map<String, String> q = query(ex.getRequestURI().getRawQuery());
    LinkKey link = new LinkKey(required(q, "tenant"), required(q, "src"), required(q, "dst"));
    Instant from = Instant.ofEpochMilli(Long.parseLong(required(q, "from")));
    Instant to = Instant.ofEpochMilli(Long.parseLong(required(q, "to")));
    return PeerProtocol.series(local.series(link, from, to));
  }

  private static String required(Map<String, String> q, String name) {
    String v = q.get(name);
    if (v == null || v.isEmpty()) {
      throw new IllegalArgumentException("parameter " + name + " is required");
    }
    return v;
  }

  private static Map<String, String> query(String raw) {
    Map<String, String> out = new HashMap<>();
    if (raw == null) {
      return out;
    }
    for (String pair : raw.split("&")) {
      int eq = pair.indexOf('=');
      if (eq > 0) {
        out.put(
            URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
            URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
      }
    }
    return out;
  }

  private static void problem(HttpExchange ex, int status, String type, String title, String detail)
      throws IOException {
    Map<String, Object> p = new java.util.LinkedHashMap<>();
    p.put("type", "https://ferry.dev/problems/" + type);
    p.put("title", title);
    p.put("status", status);
    p.put("detail", detail);
    send(
        ex, status, "application/problem+json", dev.ferry.model.Json.mapper().writeValueAsBytes(p));
  }

  private static void send(HttpExchange ex, int status, String type, byte[] body)
      throws IOException {
    ex.getResponseHeaders().set("Content-Type", type);
    ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(body);
    }
  }

  /** Stops listening; requests in progress get up to a second. Idempotent. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    server.stop(1);
    executor.shutdownNow();
  }
}

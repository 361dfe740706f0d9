package dev.ferry.app.demo;

import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.file.Path;

/**
 * The demo's three sites' servers, started under {@code <data-dir>/demo}:
 *
 * <ul>
 *   <li>SITE_A: a local directory, {@code site-a/} (no server);
 *   <li>SITE_B: {@link DemoSftpServer} serving {@code site-b/}, reached directly and through a
 *       {@link FaultProxy} standing for the WAN path from SITE_A (the link the scenario degrades);
 *   <li>SITE_C: {@link DemoS3Server} storing bucket {@value DemoS3Server#BUCKET} under {@code
 *       site-c/}.
 * </ul>
 *
 * Each server first tries the port it had in the previous run (kept in {@link DemoState}), so that
 * registered endpoints stay valid; when that port is taken it binds any free one, and the caller
 * re-registers the endpoint. {@link #close()} stops the proxy, then the servers.
 */
public final class DemoSites implements AutoCloseable {
  private final Path root;
  private final DemoSftpServer sftp;
  private final DemoS3Server s3;
  private final FaultProxy wan;

  private DemoSites(Path root, DemoSftpServer sftp, DemoS3Server s3, FaultProxy wan) {
    this.root = root;
    this.sftp = sftp;
    this.s3 = s3;
    this.wan = wan;
  }

  /** A server start on a given port ({@code 0}: any). */
  @FunctionalInterface
  interface Starter<T> {
    T start(int port) throws Exception;
  }

  public static DemoSites start(Path root, DemoState state, PrintStream out) throws Exception {
    DemoSftpServer sftp = null;
    DemoS3Server s3 = null;
    FaultProxy wan = null;
    try {
      sftp =
          onPort(
              "sftp",
              state,
              out,
              p ->
                  DemoSftpServer.start(
                      root.resolve("site-b"),
                      root.resolve("sftp-host-key"),
                      state.secret("sftp.password"),
                      p),
              DemoSftpServer::port);
      DemoSftpServer direct = sftp;
      wan =
          onPort(
              "wan",
              state,
              out,
              p -> FaultProxy.start(p, new InetSocketAddress("127.0.0.1", direct.port())),
              FaultProxy::port);
      s3 =
          onPort(
              "s3",
              state,
              out,
              p ->
                  DemoS3Server.start(
                      root.resolve("site-c"),
                      "FERRYDEMO" + state.secret("s3.access-key").substring(0, 11).toUpperCase(),
                      state.secret("s3.secret-key"),
                      p),
              DemoS3Server::port);
      return new DemoSites(root, sftp, s3, wan);
    } catch (Exception e) {
      if (wan != null) {
        wan.close();
      }
      if (sftp != null) {
        sftp.close();
      }
      if (s3 != null) {
        s3.close();
      }
      throw e;
    }
  }

  private static <T> T onPort(
      String key,
      DemoState state,
      PrintStream out,
      Starter<T> starter,
      java.util.function.ToIntFunction<T> port)
      throws Exception {
    int wanted = state.port(key);
    T server;
    try {
      server = starter.start(wanted);
    } catch (Exception e) {
      if (wanted == 0) {
        throw e;
      }
      out.println(
          "  port " + wanted + " of the demo's " + key + " server is taken; using a free one");
      server = starter.start(0);
    }
    state.setPort(key, port.applyAsInt(server));
    return server;
  }

  public Path siteA() {
    return root.resolve("site-a");
  }

  public Path siteB() {
    return root.resolve("site-b");
  }

  public DemoSftpServer sftp() {
    return sftp;
  }

  public DemoS3Server s3() {
    return s3;
  }

  public FaultProxy wan() {
    return wan;
  }

  @Override
  public void close() {
    wan.close();
    sftp.close();
    s3.close();
  }
}

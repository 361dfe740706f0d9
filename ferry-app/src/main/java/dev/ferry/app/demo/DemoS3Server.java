package dev.ferry.app.demo;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.nio2blob.FilesystemNio2BlobStore;

/**
 * SITE_C of the demo: an in-process S3 server (s3proxy) on a loopback port, storing objects as
 * files under {@code root} (each bucket a directory), with AWS signature checking on.
 *
 * <p>s3proxy brings its own shaded Jetty; its thread pool is capped low because the demo sends a
 * few requests at a time.
 */
public final class DemoS3Server implements AutoCloseable {
  public static final String BUCKET = "ferry-demo";
  public static final String REGION = "us-east-1";

  private final S3Proxy proxy;

  private DemoS3Server(S3Proxy proxy) {
    this.proxy = proxy;
  }

  /**
   * Starts on {@code 127.0.0.1:port} ({@code 0}: any free port) with bucket {@value #BUCKET}.
   *
   * @throws Exception when the port cannot be bound or the server does not start
   */
  public static DemoS3Server start(Path root, String accessKey, String secretKey, int port)
      throws Exception {
    Files.createDirectories(root.resolve(BUCKET));
    S3Proxy proxy =
        S3Proxy.builder()
            .blobStore(new FilesystemNio2BlobStore(root.toAbsolutePath().toString()))
            .endpoint(URI.create("http://127.0.0.1:" + port))
            .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, accessKey, secretKey)
            .jettyMaxThreads(16)
            .build();
    try {
      proxy.start();
    } catch (Exception e) {
      stopQuietly(proxy);
      throw e;
    }
    if (proxy.getPort() <= 0) {
      stopQuietly(proxy);
      throw new IOException("s3proxy did not bind 127.0.0.1:" + port);
    }
    return new DemoS3Server(proxy);
  }

  public int port() {
    return proxy.getPort();
  }

  /** {@code http://127.0.0.1:<port>} */
  public URI endpoint() {
    return URI.create("http://127.0.0.1:" + port());
  }

  private static void stopQuietly(S3Proxy p) {
    try {
      p.stop();
    } catch (Exception e) {
      // it did not start
    }
  }

  @Override
  public void close() {
    stopQuietly(proxy);
  }
}

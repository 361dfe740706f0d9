package dev.ferry.storage.sftp;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.awaitility.Awaitility;

/**
 * Debian's OpenSSH server ({@code /usr/sbin/sshd}, package {@code openssh-server}) on a free
 * loopback port, run in the foreground as the current user with a generated configuration: a
 * generated ECDSA host key, one generated client key in its own {@code AuthorizedKeysFile}, no PAM,
 * no password logins, {@code StrictModes no} (the temporary directory's owner and modes are not the
 * account's), and {@code Subsystem sftp internal-sftp}.
 *
 * <p>Run as root (CI containers), sshd also needs its privilege-separation directory {@code
 * /run/sshd}, created here when missing, and a {@code PermitRootLogin} that allows keys. Run as
 * another user, sshd can only log that user in, which is all the tests need.
 *
 * <p>When sshd is not installed the tests using it are skipped, unless {@code FERRY_REQUIRE_SSHD}
 * is set (as {@code .ci/run} does after installing it): then a missing sshd fails them.
 */
final class DebianSshd implements AutoCloseable {
  static final Path SSHD = Path.of("/usr/sbin/sshd");
  private static final Duration START_TIMEOUT = Duration.ofSeconds(20);

  private final Path dir;
  private final Path log;
  private final KeyPair hostKey;
  private final KeyPair clientKey;
  private final int port;
  private final String user;
  private final Process process;

  private DebianSshd(Path dir) throws IOException {
    this.dir = dir;
    this.log = dir.resolve("sshd.log");
    this.user = System.getProperty("user.name");
    hostKey = TestSftpServer.generateEcKey();
    clientKey = TestSftpServer.generateEcKey();
    Path hostKeyFile = secret(dir.resolve("host_key"), openSshKey(hostKey));
    Path authorized =
        secret(
            dir.resolve("authorized_keys"),
            PublicKeyEntry.toString(clientKey.getPublic()) + " ferry-test\n");
    if (isRoot()) {
      // sshd refuses to start without its privilege-separation directory (root only)
      Files.createDirectories(Path.of("/run/sshd"));
    }
    port = freePort();
    Path config =
        Files.writeString(
            dir.resolve("sshd_config"),
            String.join(
                "\n",
                "Port " + port,
                "ListenAddress 127.0.0.1",
                "HostKey " + hostKeyFile,
                "PidFile " + dir.resolve("sshd.pid"),
                "AuthorizedKeysFile " + authorized,
                "PubkeyAuthentication yes",
                "PasswordAuthentication no",
                "KbdInteractiveAuthentication no",
                "PermitRootLogin prohibit-password",
                "UsePAM no",
                "StrictModes no",
                "Subsystem sftp internal-sftp",
                "LogLevel VERBOSE",
                ""));
    process =
        new ProcessBuilder(SSHD.toString(), "-D", "-e", "-f", config.toString())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    try {
      Awaitility.await("sshd listening on 127.0.0.1:" + port)
          .atMost(START_TIMEOUT)
          .pollInterval(Duration.ofMillis(50))
          .until(() -> !process.isAlive() || accepts(port));
    } catch (RuntimeException e) {
      close();
      throw new IllegalStateException("sshd did not start; its log:\n" + logText(), e);
    }
    if (!process.isAlive()) {
      throw new IllegalStateException(
          "sshd exited with " + process.exitValue() + "; its log:\n" + logText());
    }
  }

  /**
   * Starts sshd in a new directory under {@code parent}; skips the calling test (JUnit assumption)
   * when sshd is missing and {@code FERRY_REQUIRE_SSHD} is unset.
   */
  static DebianSshd start(Path parent) {
    boolean installed = Files.isExecutable(SSHD);
    if (!installed && System.getenv("FERRY_REQUIRE_SSHD") != null) {
      throw new IllegalStateException(
          SSHD + " is missing and FERRY_REQUIRE_SSHD is set: install openssh-server");
    }
    assumeTrue(installed, SSHD + " not installed (Debian package openssh-server)");
    try {
      return new DebianSshd(Files.createTempDirectory(parent, "sshd-"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** {@code sftp://<user>@127.0.0.1:<port><absolutePath>}. */
  URI uri(Path absolutePath) {
    return URI.create("sftp://" + user + "@127.0.0.1:" + port + absolutePath.toUri().getRawPath());
  }

  /** Key credentials with host key verification through knownHosts. */
  Map<String, String> keyCredentials() {
    Map<String, String> c = new HashMap<>();
    c.put(SftpEndpoint.PRIVATE_KEY, TestSftpServer.openSshPrivateKey(clientKey, null));
    c.put(
        SftpEndpoint.KNOWN_HOSTS,
        "[127.0.0.1]:" + port + " " + PublicKeyEntry.toString(hostKey.getPublic()) + "\n");
    return c;
  }

  int port() {
    return port;
  }

  String logText() {
    try {
      return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "(no log)";
    } catch (IOException e) {
      return "(log unreadable: " + e + ")";
    }
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }

  private static boolean isRoot() {
    return "root".equals(System.getProperty("user.name"));
  }

  private static String openSshKey(KeyPair key) {
    return TestSftpServer.openSshPrivateKey(key, null);
  }

  /**
   * Writes {@code content} readable by the owner only: sshd refuses group- or world-readable keys.
   */
  private static Path secret(Path file, String content) throws IOException {
    Files.writeString(file, content, StandardCharsets.US_ASCII);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    return file;
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static boolean accepts(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 200);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** Lines of the sshd log, for assertions about what it saw. */
  List<String> logLines() {
    return logText().lines().toList();
  }
}

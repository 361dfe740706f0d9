package dev.ferry.app.demo;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.util.Iterator;
import java.util.List;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.digest.BuiltinDigests;
import org.apache.sshd.common.file.virtualfs.VirtualFileSystemFactory;
import org.apache.sshd.core.CoreModuleProperties;
import org.apache.sshd.server.SshServer;
import org.apache.sshd.server.keyprovider.SimpleGeneratorHostKeyProvider;
import org.apache.sshd.sftp.server.SftpSubsystemFactory;

/**
 * SITE_B of the demo: an in-process SFTP server (Apache MINA SSHD, the server side of the library
 * the SFTP endpoint already uses) on a loopback port, serving {@code root} as {@code /} to one user
 * with a password.
 *
 * <p>The host key (ECDSA P-256) is generated on first start and kept in {@code hostKeyFile} (mode
 * 0600), so a restarted demo presents the same key and the fingerprint pinned in the registered
 * endpoint stays valid. Two NIO workers: the demo's traffic is a few sessions.
 */
public final class DemoSftpServer implements AutoCloseable {
  public static final String USER = "ferry";

  private final SshServer server;
  private final String fingerprint;

  private DemoSftpServer(SshServer server, String fingerprint) {
    this.server = server;
    this.fingerprint = fingerprint;
  }

  /**
   * Starts on {@code 127.0.0.1:port} ({@code 0}: any free port).
   *
   * @throws IOException when the port cannot be bound
   */
  public static DemoSftpServer start(Path root, Path hostKeyFile, String password, int port)
      throws IOException {
    Files.createDirectories(root);
    Files.createDirectories(hostKeyFile.getParent());
    SimpleGeneratorHostKeyProvider keys = new SimpleGeneratorHostKeyProvider(hostKeyFile);
    keys.setAlgorithm(KeyUtils.EC_ALGORITHM);
    keys.setKeySize(256);
    Iterator<KeyPair> loaded = keys.loadKeys(null).iterator();
    if (!loaded.hasNext()) {
      throw new IOException("no SFTP host key in " + hostKeyFile);
    }
    KeyPair hostKey = loaded.next();
    Files.setPosixFilePermissions(hostKeyFile, PosixFilePermissions.fromString("rw-------"));

    SshServer server = SshServer.setUpDefaultServer();
    server.setHost("127.0.0.1");
    server.setPort(port);
    server.setKeyPairProvider(keys);
    server.setPasswordAuthenticator((u, p, session) -> USER.equals(u) && password.equals(p));
    server.setSubsystemFactories(List.of(new SftpSubsystemFactory()));
    server.setFileSystemFactory(new VirtualFileSystemFactory(root.toAbsolutePath()));
    CoreModuleProperties.NIO_WORKERS.set(server, 2);
    try {
      server.start();
    } catch (IOException e) {
      server.stop(true);
      throw e;
    }
    return new DemoSftpServer(
        server, KeyUtils.getFingerPrint(BuiltinDigests.sha256, hostKey.getPublic()));
  }

  public int port() {
    return server.getPort();
  }

  /** The host key's fingerprint, {@code SHA256:…} as {@code ssh-keygen -lf} prints it. */
  public String fingerprint() {
    return fingerprint;
  }

  @Override
  public void close() {
    try {
      server.stop(true);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}

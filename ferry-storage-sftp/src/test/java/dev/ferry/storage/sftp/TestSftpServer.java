package dev.ferry.storage.sftp;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.spec.ECGenParameterSpec;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.config.keys.writer.openssh.OpenSSHKeyEncryptionContext;
import org.apache.sshd.common.config.keys.writer.openssh.OpenSSHKeyPairResourceWriter;
import org.apache.sshd.common.digest.BuiltinDigests;
import org.apache.sshd.common.file.virtualfs.VirtualFileSystemFactory;
import org.apache.sshd.common.keyprovider.KeyPairProvider;
import org.apache.sshd.common.session.Session;
import org.apache.sshd.core.CoreModuleProperties;
import org.apache.sshd.server.SshServer;
import org.apache.sshd.sftp.SftpModuleProperties;
import org.apache.sshd.sftp.server.FileHandle;
import org.apache.sshd.sftp.server.SftpFileSystemAccessor;
import org.apache.sshd.sftp.server.SftpSubsystemFactory;
import org.apache.sshd.sftp.server.SftpSubsystemProxy;

/**
 * A real MINA SSHD SFTP server on a random loopback port, serving {@code root} as "/" to user
 * {@value #USER}: password {@value #PASSWORD} or any key in {@link #authorize}. Its host key is an
 * ECDSA P-256 key generated per server.
 */
public final class TestSftpServer implements AutoCloseable {
  static final String USER = "ferry";
  static final String PASSWORD = "Pa55-w0rd-n0t-in-messages";

  private final SshServer server;
  private final KeyPair hostKey;
  private final Path root;
  private final List<PublicKey> authorized = new CopyOnWriteArrayList<>();

  private TestSftpServer(Path root, String opensshExtensions, KeyPair... moreHostKeys)
      throws IOException {
    this.root = root;
    this.hostKey = generateEcKey();
    server = SshServer.setUpDefaultServer();
    server.setHost("127.0.0.1");
    server.setPort(0);
    List<KeyPair> hostKeys = new ArrayList<>(List.of(moreHostKeys));
    hostKeys.add(0, hostKey);
    server.setKeyPairProvider(KeyPairProvider.wrap(hostKeys));
    server.setPasswordAuthenticator(
        (user, password, session) -> USER.equals(user) && PASSWORD.equals(password));
    server.setPublickeyAuthenticator(
        (user, key, session) ->
            USER.equals(user) && authorized.stream().anyMatch(k -> KeyUtils.compareKeys(k, key)));
    SftpSubsystemFactory sftp = new SftpSubsystemFactory();
    sftp.setFileSystemAccessor(new DenyingAccessor());
    server.setSubsystemFactories(List.of(sftp));
    server.setFileSystemFactory(new VirtualFileSystemFactory(root));
    CoreModuleProperties.NIO_WORKERS.set(server, 2);
    if (opensshExtensions != null) {
      SftpModuleProperties.OPENSSH_EXTENSIONS.set(server, opensshExtensions);
    }
    server.start();
  }

  /**
   * Refuses, as a server would for a file mode it may not use, to open any file or create any
   * directory whose name starts with {@value #FORBIDDEN}. (The tests run as root, so file modes
   * cannot deny anything.)
   */
  static final String FORBIDDEN = "forbidden";

  private static final class DenyingAccessor implements SftpFileSystemAccessor {
    @Override
    public SeekableByteChannel openFile(
        SftpSubsystemProxy subsystem,
        FileHandle fileHandle,
        Path file,
        String handle,
        Set<? extends OpenOption> options,
        FileAttribute<?>... attrs)
        throws IOException {
      deny(file);
      return SftpFileSystemAccessor.super.openFile(
          subsystem, fileHandle, file, handle, options, attrs);
    }

    @Override
    public void createDirectory(SftpSubsystemProxy subsystem, Path path) throws IOException {
      deny(path);
      SftpFileSystemAccessor.super.createDirectory(subsystem, path);
    }

    private static void deny(Path path) throws AccessDeniedException {
      if (path.getFileName() != null && path.getFileName().toString().startsWith(FORBIDDEN)) {
        throw new AccessDeniedException(path.toString());
      }
    }
  }

  /** Starts a server serving {@code root}. */
  public static TestSftpServer start(Path root) {
    return start(root, null);
  }

  /** Starts a server that offers only {@code opensshExtensions} (as the property spells them). */
  static TestSftpServer start(Path root, String opensshExtensions) {
    try {
      return new TestSftpServer(root, opensshExtensions);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Starts a server whose host keys are its ECDSA key and {@code moreHostKeys}. */
  static TestSftpServer startWithHostKeys(Path root, KeyPair... moreHostKeys) {
    try {
      return new TestSftpServer(root, null, moreHostKeys);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static KeyPair generateEd25519Key() {
    try {
      return KeyUtils.generateKeyPair(KeyPairProvider.SSH_ED25519, 256);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  public static KeyPair generateEcKey() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"));
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  public Path root() {
    return root;
  }

  public int port() {
    return server.getPort();
  }

  /** {@code sftp://ferry@127.0.0.1:<port><path>}. */
  public URI uri(String path) {
    return URI.create("sftp://" + USER + "@127.0.0.1:" + port() + path);
  }

  /** A known_hosts line for this server's host key. */
  public String knownHostsLine() {
    return knownHostsLine(hostKey.getPublic());
  }

  /** A known_hosts line claiming that {@code key} is this server's host key. */
  String knownHostsLine(PublicKey key) {
    return "[127.0.0.1]:" + port() + " " + PublicKeyEntry.toString(key);
  }

  /** The host key's fingerprint as {@code ssh-keygen -lf} prints it. */
  String fingerprint() {
    return KeyUtils.getFingerPrint(BuiltinDigests.sha256, hostKey.getPublic());
  }

  /** Password credentials with host key verification through knownHosts. */
  public Map<String, String> passwordCredentials() {
    Map<String, String> c = new HashMap<>();
    c.put(SftpEndpoint.PASSWORD, PASSWORD);
    c.put(SftpEndpoint.KNOWN_HOSTS, "# test server\n" + knownHostsLine() + "\n");
    return c;
  }

  public void authorize(PublicKey key) {
    authorized.add(key);
  }

  /** Closes every session, as a server restart or a network cut would. */
  void dropSessions() {
    for (Session s : server.getActiveSessions()) {
      s.close(true);
    }
  }

  /** {@code key} as OpenSSH private key text, encrypted with {@code passphrase} unless null. */
  static String openSshPrivateKey(KeyPair key, String passphrase) {
    OpenSSHKeyEncryptionContext options = null;
    if (passphrase != null) {
      options = new OpenSSHKeyEncryptionContext();
      options.setCipherName("AES");
      options.setCipherMode("CTR");
      options.setCipherType("256");
      options.setPassword(passphrase);
      options.setKdfRounds(2); // the default (16) costs real time in every test
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      OpenSSHKeyPairResourceWriter.INSTANCE.writePrivateKey(key, "test key", options, out);
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
    return out.toString(StandardCharsets.US_ASCII);
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

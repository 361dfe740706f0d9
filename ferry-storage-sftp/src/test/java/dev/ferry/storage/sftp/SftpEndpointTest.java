package dev.ferry.storage.sftp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ferry.storage.InvalidPathException;
import dev.ferry.storage.MultipartResume;
import dev.ferry.storage.MultipartResume.ResumableWrite;
import dev.ferry.storage.PendingWrite;
import dev.ferry.storage.StorageEndpoint;
import dev.ferry.storage.StorageEndpoints;
import dev.ferry.storage.StorageException;
import dev.ferry.storage.StorageException.ErrorClass;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.apache.sshd.client.config.hosts.KnownHostHashValue;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.client.session.ClientSession.ClientSessionEvent;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SFTP-specific behaviour: authentication, host keys, confinement, errors, pool, resume. */
class SftpEndpointTest {

  @TempDir static Path serverRoot;
  private static TestSftpServer server;
  private static final AtomicInteger bases = new AtomicInteger();

  private final List<StorageEndpoint> opened = new ArrayList<>();
  private Path base;
  private Path outside;
  private URI uri;

  @BeforeAll
  static void startServer() {
    server = TestSftpServer.start(serverRoot);
  }

  @AfterAll
  static void stopServer() {
    server.close();
  }

  @BeforeEach
  void createBase() throws IOException {
    String name = "base-" + bases.incrementAndGet();
    base = Files.createDirectories(serverRoot.resolve(name));
    outside = Files.createDirectories(serverRoot.resolve(name + "-outside"));
    Files.writeString(outside.resolve("secret.txt"), "top secret");
    uri = server.uri("/" + name);
  }

  @AfterEach
  void closeEndpoints() {
    opened.forEach(StorageEndpoint::close);
  }

  private SftpEndpoint open(Map<String, String> credentials) {
    return open(uri, credentials, SftpEndpoint.Options.DEFAULTS);
  }

  private SftpEndpoint open(URI at, Map<String, String> credentials, SftpEndpoint.Options options) {
    SftpEndpoint endpoint = SftpEndpoint.open(at, credentials, options);
    opened.add(endpoint);
    return endpoint;
  }

  private SftpEndpoint open() {
    return open(server.passwordCredentials());
  }

  private static Map<String, String> with(Map<String, String> credentials, String... keyValues) {
    Map<String, String> copy = new HashMap<>(credentials);
    for (int i = 0; i < keyValues.length; i += 2) {
      if (keyValues[i + 1] == null) {
        copy.remove(keyValues[i]);
      } else {
        copy.put(keyValues[i], keyValues[i + 1]);
      }
    }
    return copy;
  }

  private static void write(StorageEndpoint endpoint, String path, String content) {
    try (PendingWrite w = endpoint.beginWrite(path)) {
      w.output().write(content.getBytes(StandardCharsets.UTF_8));
      w.commit();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String read(StorageEndpoint endpoint, String path) {
    try (InputStream in = endpoint.open(path)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static List<String> listAll(StorageEndpoint endpoint, String prefix) {
    return endpoint.list(prefix, null, 1000).entries().stream().map(e -> e.path()).toList();
  }

  private static Consumer<Throwable> errorClass(ErrorClass expected, boolean retryable) {
    return e -> {
      assertThat(e).isInstanceOf(StorageException.class);
      assertThat(((StorageException) e).errorClass()).isEqualTo(expected);
      assertThat(((StorageException) e).retryable()).isEqualTo(retryable);
    };
  }

  // --- authentication --------------------------------------------------------------------------

  @Test
  void shouldAuthenticateWithPassword() {
    SftpEndpoint endpoint = open();

    write(endpoint, "hello.txt", "hi");

    assertThat(read(endpoint, "hello.txt")).isEqualTo("hi");
    assertThat(Files.exists(base.resolve("hello.txt"))).isTrue();
    assertThat(endpoint.basePath()).isEqualTo("/" + base.getFileName());
  }

  @Test
  void shouldAuthenticateWithEncryptedOpenSshPrivateKey() {
    KeyPair key = TestSftpServer.generateEcKey();
    server.authorize(key.getPublic());
    Map<String, String> credentials =
        with(
            server.passwordCredentials(),
            SftpEndpoint.PASSWORD,
            null,
            SftpEndpoint.PRIVATE_KEY,
            TestSftpServer.openSshPrivateKey(key, "key phrase"),
            SftpEndpoint.PASSPHRASE,
            "key phrase");

    SftpEndpoint endpoint = open(credentials);
    write(endpoint, "by-key.txt", "key");

    assertThat(read(endpoint, "by-key.txt")).isEqualTo("key");
  }

  @Test
  void shouldAuthenticateWithUnencryptedEd25519PrivateKey() {
    KeyPair key = TestSftpServer.generateEd25519Key();
    server.authorize(key.getPublic());

    SftpEndpoint endpoint =
        open(
            with(
                server.passwordCredentials(),
                SftpEndpoint.PASSWORD,
                null,
                SftpEndpoint.PRIVATE_KEY,
                TestSftpServer.openSshPrivateKey(key, null)));

    assertThat(endpoint.list(null, null, 10).entries()).isEmpty();
  }

  @Test
  void shouldRejectWrongPasswordAsPermanentPermissionError() {
    Map<String, String> credentials =
        with(server.passwordCredentials(), SftpEndpoint.PASSWORD, "wrong-Pa55word");

    assertThatThrownBy(() -> open(credentials))
        .satisfies(errorClass(ErrorClass.PERMISSION, false))
        .hasMessageContaining("authentication failed for user 'ferry'")
        .hasMessageContaining(uri.toString())
        .hasMessageNotContaining("wrong-Pa55word");
  }

  @Test
  void shouldRejectKeyThatIsNotAuthorized() {
    KeyPair stranger = TestSftpServer.generateEcKey();

    assertThatThrownBy(
            () ->
                open(
                    with(
                        server.passwordCredentials(),
                        SftpEndpoint.PASSWORD,
                        null,
                        SftpEndpoint.PRIVATE_KEY,
                        TestSftpServer.openSshPrivateKey(stranger, null))))
        .satisfies(errorClass(ErrorClass.PERMISSION, false))
        .hasMessageContaining("authentication failed");
  }

  @Test
  void shouldRejectWrongPassphraseWithoutConnecting() {
    KeyPair key = TestSftpServer.generateEcKey();
    Map<String, String> credentials =
        with(
            server.passwordCredentials(),
            SftpEndpoint.PRIVATE_KEY,
            TestSftpServer.openSshPrivateKey(key, "right phrase"),
            SftpEndpoint.PASSPHRASE,
            "Wrong-phrase-42");

    assertThatThrownBy(() -> open(credentials))
        .satisfies(errorClass(ErrorClass.PERMISSION, false))
        .hasMessageContaining("'privateKey' credential cannot be read")
        .hasMessageNotContaining("Wrong-phrase-42")
        .hasMessageNotContaining("right phrase");
  }

  @Test
  void shouldRequireSomethingToAuthenticateWith() {
    assertThatThrownBy(() -> open(with(server.passwordCredentials(), SftpEndpoint.PASSWORD, null)))
        .satisfies(errorClass(ErrorClass.PERMISSION, false))
        .hasMessageContaining("no 'password' or 'privateKey' credential");
  }

  @Test
  void shouldRejectUnknownCredentialKeysNamingOnlyTheKey() {
    assertThatThrownBy(
            () -> open(with(server.passwordCredentials(), "known_hosts", "Secret-Value-1")))
        .satisfies(errorClass(ErrorClass.UNSUPPORTED, false))
        .hasMessageContaining("unknown credential 'known_hosts'")
        .hasMessageNotContaining("Secret-Value-1");
  }

  // --- host keys -------------------------------------------------------------------------------

  @Test
  void shouldRequireHostKeyVerification() {
    assertThatThrownBy(
            () -> open(with(server.passwordCredentials(), SftpEndpoint.KNOWN_HOSTS, null)))
        .satisfies(errorClass(ErrorClass.PERMISSION, false))
        .hasMessageContaining("host key verification is required");
  }

  @Test
  void shouldRefuseUnknownHostKey() {
    String otherHost =
        "other.example:22 " + PublicKeyEntry.toString(TestSftpServer.generateEcKey().getPublic());

    assertThatThrownBy(
            () -> open(with(server.passwordCredentials(), SftpEndpoint.KNOWN_HOSTS, otherHost)))
        .satisfies(errorClass(ErrorClass.PERMISSION, false))
        .hasMessageContaining("unknown host key for 127.0.0.1:" + server.port())
        .hasMessageContaining(server.fingerprint())
        .hasMessageContaining("refusing to connect");
  }

  @Test
  void shouldRefuseMismatchedHostKeyWithAClearWarning() {
    String impostor = server.knownHostsLine(TestSftpServer.generateEcKey().getPublic());

    assertThatThrownBy(
            () -> open(with(server.passwordCredentials(), SftpEndpoint.KNOWN_HOSTS, impostor)))
        .satisfies(errorClass(ErrorClass.PERMISSION, false))
        .hasMessageContaining("HOST KEY MISMATCH for 127.0.0.1:" + server.port())
        .hasMessageContaining(
            "the server presented ecdsa-sha2-nistp256 key " + server.fingerprint());
  }

  @Test
  void shouldRefuseRevokedHostKey() {
    String lines = server.knownHostsLine() + "\n@revoked " + server.knownHostsLine();

    assertThatThrownBy(
            () -> open(with(server.passwordCredentials(), SftpEndpoint.KNOWN_HOSTS, lines)))
        .satisfies(errorClass(ErrorClass.PERMISSION, false))
        .hasMessageContaining("@revoked");
  }

  @Test
  void shouldAcceptHashedKnownHostsEntry() throws Exception {
    byte[] salt = new byte[20];
    salt[3] = 7;
    byte[] hash =
        KnownHostHashValue.calculateHashValue(
            "127.0.0.1", server.port(), KnownHostHashValue.DEFAULT_DIGEST, salt);
    StringBuilder line = new StringBuilder();
    KnownHostHashValue.append(line, KnownHostHashValue.DEFAULT_DIGEST, salt, hash);
    line.append(' ').append(server.knownHostsLine().split(" ", 2)[1]);

    SftpEndpoint endpoint =
        open(with(server.passwordCredentials(), SftpEndpoint.KNOWN_HOSTS, line.toString()));

    assertThat(endpoint.list(null, null, 1).entries()).isEmpty();
  }

  @Test
  void shouldAcceptPinnedFingerprintInsteadOfKnownHosts() {
    SftpEndpoint endpoint =
        open(
            with(
                server.passwordCredentials(),
                SftpEndpoint.KNOWN_HOSTS,
                null,
                SftpEndpoint.HOST_KEY_FINGERPRINT,
                server.fingerprint()));

    assertThat(endpoint.list(null, null, 1).entries()).isEmpty();
  }

  @Test
  void shouldRefuseWrongFingerprint() {
    String wrong =
        org.apache.sshd.common.config.keys.KeyUtils.getFingerPrint(
            org.apache.sshd.common.digest.BuiltinDigests.sha256,
            TestSftpServer.generateEcKey().getPublic());

    assertThatThrownBy(
            () ->
                open(
                    with(
                        server.passwordCredentials(),
                        SftpEndpoint.KNOWN_HOSTS,
                        null,
                        SftpEndpoint.HOST_KEY_FINGERPRINT,
                        wrong)))
        .satisfies(errorClass(ErrorClass.PERMISSION, false))
        .hasMessageContaining("HOST KEY MISMATCH")
        .hasMessageContaining("hostKeyFingerprint is " + wrong);
  }

  @Test
  void shouldAskForTheHostKeyTypeThatKnownHostsLists() {
    KeyPair ed25519 = TestSftpServer.generateEd25519Key();
    try (TestSftpServer twoKeys = TestSftpServer.startWithHostKeys(serverRoot, ed25519)) {
      // the client would pick ECDSA, which knownHosts does not list for this server
      Map<String, String> credentials =
          with(
              twoKeys.passwordCredentials(),
              SftpEndpoint.KNOWN_HOSTS,
              twoKeys.knownHostsLine(ed25519.getPublic()));

      SftpEndpoint endpoint = open(twoKeys.uri(uri.getPath()), credentials, options());

      assertThat(endpoint.list(null, null, 1).entries()).isEmpty();
    }
  }

  // --- URIs, factory, connection ---------------------------------------------------------------

  @Test
  void shouldOpenThroughStorageEndpointsFactory() {
    try (StorageEndpoint endpoint =
        StorageEndpoints.open(uri.toString(), server.passwordCredentials())) {
      assertThat(endpoint).isInstanceOf(SftpEndpoint.class);
      assertThat(endpoint.uri()).isEqualTo(uri.toString());
      assertThat(endpoint.capability(MultipartResume.class))
          .containsSame((MultipartResume) endpoint);
    }
  }

  @Test
  void shouldRejectPasswordInUriWithoutEchoingIt() {
    URI withPassword = URI.create("sftp://ferry:Uri-Secret-9@127.0.0.1:" + server.port() + "/x");

    assertThatThrownBy(() -> open(withPassword, server.passwordCredentials(), options()))
        .satisfies(errorClass(ErrorClass.UNSUPPORTED, false))
        .hasMessageContaining("must not carry a password")
        .hasMessageNotContaining("Uri-Secret-9");
  }

  @Test
  void shouldRejectMalformedUris() {
    for (String bad :
        new String[] {
          "sftp://127.0.0.1/x", "sftp:///x", "sftp://ferry@host/x?opt=1", "file:///tmp"
        }) {
      assertThatThrownBy(() -> open(URI.create(bad), server.passwordCredentials(), options()))
          .as(bad)
          .satisfies(errorClass(ErrorClass.UNSUPPORTED, false));
    }
  }

  @Test
  void shouldFailAsNotFoundWhenBaseIsMissing() {
    assertThatThrownBy(
            () -> open(server.uri("/no-such-base"), server.passwordCredentials(), options()))
        .satisfies(errorClass(ErrorClass.NOT_FOUND, false))
        .hasMessageContaining("/no-such-base");
  }

  @Test
  void shouldReportUnreachableServerAsRetryableIo() throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    URI nobody = URI.create("sftp://ferry@127.0.0.1:" + port + "/x");

    assertThatThrownBy(() -> open(nobody, server.passwordCredentials(), options()))
        .satisfies(errorClass(ErrorClass.IO, true))
        .hasMessageContaining("connecting to sftp://ferry@127.0.0.1:" + port + "/x");
  }

  @Test
  void shouldReconnectAfterTheConnectionWasLost() {
    SftpEndpoint endpoint = open();
    write(endpoint, "before.txt", "1");
    ClientSession first = endpoint.connection().session();

    server.dropSessions();
    first.waitFor(EnumSet.of(ClientSessionEvent.CLOSED), Duration.ofSeconds(10));

    assertThat(read(endpoint, "before.txt")).isEqualTo("1");
    assertThat(endpoint.connection().session()).isNotSameAs(first);
  }

  @Test
  void shouldFailWithRetryableIoWhenEveryChannelStaysBusy() throws IOException {
    SftpEndpoint endpoint =
        open(
            uri,
            server.passwordCredentials(),
            new SftpEndpoint.Options(
                Duration.ofSeconds(10), Duration.ofSeconds(10), 1, Duration.ofMillis(50)));
    try (PendingWrite w = endpoint.beginWrite("holds-the-channel")) {
      w.output().write(1);

      assertThatThrownBy(() -> endpoint.stat("other"))
          .satisfies(errorClass(ErrorClass.IO, true))
          .hasMessageContaining("all 1 SFTP channels");
    }
    // the aborted write gave its channel back
    assertThat(endpoint.stat("other")).isEmpty();
  }

  // --- confinement -----------------------------------------------------------------------------

  @Test
  void shouldRejectDotDotAndAbsolutePathsNamingTheReason() {
    SftpEndpoint endpoint = open();

    assertThatThrownBy(() -> endpoint.open("../" + outside.getFileName() + "/secret.txt"))
        .isInstanceOf(InvalidPathException.class)
        .hasMessageContaining("contains a '..' segment");
    assertThatThrownBy(() -> endpoint.beginWrite("a/../../x"))
        .isInstanceOf(InvalidPathException.class)
        .hasMessageContaining("'..'");
    assertThatThrownBy(() -> endpoint.open("/" + outside.getFileName() + "/secret.txt"))
        .isInstanceOf(InvalidPathException.class)
        .hasMessageContaining("is absolute");
    assertThatThrownBy(() -> endpoint.delete("/etc/passwd"))
        .isInstanceOf(InvalidPathException.class)
        .hasMessageContaining("is absolute");
    assertThatThrownBy(() -> endpoint.list("../", null, 10))
        .isInstanceOf(InvalidPathException.class);
    assertThat(outside.resolve("secret.txt")).hasContent("top secret");
  }

  @Test
  void shouldRejectReadingThroughDirectorySymlinkThatEscapes() throws IOException {
    Files.createSymbolicLink(base.resolve("link"), Path.of("..", outside.getFileName().toString()));
    SftpEndpoint endpoint = open();

    assertThatThrownBy(() -> endpoint.open("link/secret.txt"))
        .isInstanceOf(InvalidPathException.class)
        .hasMessageContaining("link/secret.txt")
        .hasMessageContaining("outside the endpoint base");
    assertThatThrownBy(() -> endpoint.stat("link/secret.txt"))
        .isInstanceOf(InvalidPathException.class);
    assertThatThrownBy(() -> endpoint.list("link", null, 10))
        .isInstanceOf(InvalidPathException.class);
    assertThat(listAll(endpoint, null)).isEmpty();
  }

  @Test
  void shouldRejectReadingFileSymlinkThatEscapes() throws IOException {
    Files.createSymbolicLink(
        base.resolve("evil.txt"), Path.of("..", outside.getFileName().toString(), "secret.txt"));
    SftpEndpoint endpoint = open();

    assertThatThrownBy(() -> endpoint.openRange("evil.txt", 2, 3))
        .isInstanceOf(InvalidPathException.class)
        .hasMessageContaining("evil.txt");
    assertThat(listAll(endpoint, null)).isEmpty();
  }

  @Test
  void shouldRejectWritingThroughSymlinkThatEscapes() throws IOException {
    Files.createSymbolicLink(base.resolve("link"), Path.of("..", outside.getFileName().toString()));
    SftpEndpoint endpoint = open();

    assertThatThrownBy(() -> endpoint.beginWrite("link/planted.txt"))
        .isInstanceOf(InvalidPathException.class)
        .hasMessageContaining("link/planted.txt")
        .hasMessageContaining("outside the endpoint base");
    assertThatThrownBy(() -> endpoint.beginWrite("link/deeper/planted.txt"))
        .isInstanceOf(InvalidPathException.class);
    assertThatThrownBy(() -> endpoint.delete("link/secret.txt"))
        .isInstanceOf(InvalidPathException.class);
    try (Stream<Path> files = Files.list(outside)) {
      assertThat(files).containsExactly(outside.resolve("secret.txt"));
    }
    assertThat(outside.resolve("secret.txt")).hasContent("top secret");
  }

  @Test
  void shouldReplaceFileSymlinkOnWriteInsteadOfWritingThroughIt() throws IOException {
    Files.createSymbolicLink(
        base.resolve("evil.txt"), Path.of("..", outside.getFileName().toString(), "secret.txt"));
    SftpEndpoint endpoint = open();

    write(endpoint, "evil.txt", "replaced");

    assertThat(Files.isSymbolicLink(base.resolve("evil.txt"))).isFalse();
    assertThat(read(endpoint, "evil.txt")).isEqualTo("replaced");
    assertThat(outside.resolve("secret.txt")).hasContent("top secret");
  }

  @Test
  void shouldFollowSymlinksThatStayInsideTheBase() throws IOException {
    SftpEndpoint endpoint = open();
    write(endpoint, "real/data.txt", "inside");
    Files.createSymbolicLink(base.resolve("alias"), Path.of("real"));
    Files.createSymbolicLink(base.resolve("file-alias"), Path.of("real", "data.txt"));

    assertThat(read(endpoint, "alias/data.txt")).isEqualTo("inside");
    assertThat(read(endpoint, "file-alias")).isEqualTo("inside");
    // linked files are listed, linked directories are not descended into
    assertThat(listAll(endpoint, null)).containsExactly("file-alias", "real/data.txt");
  }

  @Test
  void shouldClassifyPermissionDeniedAsPermanentPermissionError() throws IOException {
    SftpEndpoint endpoint = open();
    Files.writeString(base.resolve("forbidden.txt"), "no");

    assertThatThrownBy(() -> endpoint.open("forbidden.txt"))
        .satisfies(errorClass(ErrorClass.PERMISSION, false))
        .hasMessageContaining("opening 'forbidden.txt' at " + uri)
        .hasMessageContaining("permission denied");
    assertThatThrownBy(() -> endpoint.beginWrite("forbidden-dir/file"))
        .satisfies(errorClass(ErrorClass.PERMISSION, false))
        .hasMessageContaining("forbidden-dir/file");
    assertThat(endpoint.stat("forbidden.txt")).isPresent(); // stat is allowed, reading is not
  }

  @Test
  void shouldResolveBaseRelativeToTheLoginDirectory() {
    // the test server's login directory is its root
    SftpEndpoint endpoint =
        open(server.uri("/~/" + base.getFileName()), server.passwordCredentials(), options());

    write(endpoint, "home.txt", "h");

    assertThat(endpoint.basePath()).isEqualTo("/" + base.getFileName());
    assertThat(base.resolve("home.txt")).hasContent("h");
  }

  @Test
  void shouldSkipDanglingAndLoopingLinksInListingAndRefuseToFollowLoops() throws IOException {
    Files.createSymbolicLink(base.resolve("loop"), Path.of("loop"));
    Files.createSymbolicLink(base.resolve("dangling"), Path.of("nowhere"));
    SftpEndpoint endpoint = open();
    write(endpoint, "real.txt", "r");

    assertThat(listAll(endpoint, null)).containsExactly("real.txt");
    assertThat(endpoint.stat("dangling")).isEmpty();
    assertThatThrownBy(() -> endpoint.stat("loop"))
        .satisfies(errorClass(ErrorClass.INVALID_PATH, false))
        .hasMessageContaining("'loop' at " + uri)
        .hasMessageContaining("symbolic links");
  }

  // --- writes ----------------------------------------------------------------------------------

  @Test
  void shouldWriteTemporaryFileBesideTargetAndHideIt() throws IOException {
    SftpEndpoint endpoint = open();
    PendingWrite w = endpoint.beginWrite("dir/target.txt");
    w.output().write("abc".getBytes(StandardCharsets.UTF_8));
    w.output().flush();

    try (Stream<Path> files = Files.list(base.resolve("dir"))) {
      assertThat(files)
          .singleElement()
          .satisfies(
              p ->
                  assertThat(p.getFileName().toString())
                      .startsWith(SftpEndpoint.TEMP_PREFIX)
                      .endsWith("-target.txt"));
    }
    assertThat(listAll(endpoint, null)).isEmpty();

    w.commit();
    try (Stream<Path> files = Files.list(base.resolve("dir"))) {
      assertThat(files).containsExactly(base.resolve("dir/target.txt"));
    }
  }

  @Test
  void shouldSkipStrayTemporaryFilesInListing() throws IOException {
    Files.writeString(base.resolve(".ferry-tmp-123-left-over"), "crash debris");
    SftpEndpoint endpoint = open();
    write(endpoint, "kept", "k");

    assertThat(listAll(endpoint, null)).containsExactly("kept");
  }

  @Test
  void shouldReportConflictWhenParentIsAFileAndRefuseToDeleteDirectory() {
    SftpEndpoint endpoint = open();
    write(endpoint, "file", "x");
    write(endpoint, "dir/f", "x");

    assertThatThrownBy(() -> endpoint.beginWrite("file/child"))
        .satisfies(errorClass(ErrorClass.CONFLICT, false))
        .hasMessageContaining("file/child");
    assertThatThrownBy(() -> endpoint.delete("dir"))
        .satisfies(errorClass(ErrorClass.CONFLICT, false))
        .hasMessageContaining("is a directory");
    assertThatThrownBy(() -> endpoint.beginWrite("dir"))
        .satisfies(errorClass(ErrorClass.CONFLICT, false));
  }

  @Test
  void shouldReplaceExistingFileWithoutPosixRenameExtension() throws IOException {
    try (TestSftpServer plain = TestSftpServer.start(serverRoot, "fsync@openssh.com=1")) {
      SftpEndpoint endpoint =
          open(plain.uri(uri.getPath()), plain.passwordCredentials(), options());
      assertThat(endpoint.atomicReplace()).isFalse();
      assertThat(open().atomicReplace()).isTrue();
      write(endpoint, "f", "old");
      write(endpoint, "f", "new");

      assertThat(read(endpoint, "f")).isEqualTo("new");
      try (Stream<Path> files = Files.list(base)) {
        assertThat(files).containsExactly(base.resolve("f"));
      }
    }
  }

  @Test
  void shouldResumeWriteFromKeptTemporaryFile() throws IOException {
    SftpEndpoint first = open();
    ResumableWrite w = first.beginResumableWrite("dir/resumed.bin", 1024);
    w.output().write("first part|".getBytes(StandardCharsets.UTF_8));
    assertThat(w.sync()).isEqualTo(11);
    String token = w.resumeToken();
    assertThat(token).doesNotContain(TestSftpServer.PASSWORD).doesNotContain(base.toString());
    first.close(); // the writer's process dies: nothing is aborted, the temporary file stays

    SftpEndpoint second = open();
    ResumableWrite resumed = second.resume(token).orElseThrow();
    assertThat(resumed.durableBytes()).isEqualTo(11);
    assertThat(resumed.resumeToken()).isNotEqualTo(token); // taken over under a fresh name
    assertThat(resumed.path().value()).isEqualTo("dir/resumed.bin");
    resumed.output().write("second part".getBytes(StandardCharsets.UTF_8));
    try (InputStream back = resumed.readBack()) {
      assertThat(new String(back.readAllBytes(), StandardCharsets.UTF_8))
          .isEqualTo("first part|second part");
    }
    resumed.commit();

    assertThat(read(second, "dir/resumed.bin")).isEqualTo("first part|second part");
    assertThat(second.resume(token)).isEmpty();
    assertThatThrownBy(() -> second.resume("s3-upload:whatever"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void shouldRefuseForgedResumeTokens() {
    SftpEndpoint endpoint = open();
    java.util.Base64.Encoder b64 = java.util.Base64.getUrlEncoder().withoutPadding();
    java.util.function.BiFunction<String, String, String> token =
        (target, temp) ->
            "ferry-sftp-resume:1:"
                + b64.encodeToString(target.getBytes(StandardCharsets.UTF_8))
                + ":"
                + b64.encodeToString(temp.getBytes(StandardCharsets.UTF_8));

    assertThatThrownBy(() -> endpoint.resume(token.apply("../x", ".ferry-tmp-1-x")))
        .isInstanceOf(InvalidPathException.class);
    assertThatThrownBy(() -> endpoint.resume(token.apply("x", "../.ferry-tmp-1-x")))
        .isInstanceOf(InvalidPathException.class);
    assertThatThrownBy(() -> endpoint.resume(token.apply("x", "secret.txt")))
        .isInstanceOf(InvalidPathException.class)
        .hasMessageContaining("not a temporary file name");
    assertThat(endpoint.resume(token.apply("x", ".ferry-tmp-never-x"))).isEmpty();
  }

  @Test
  void shouldFailWriterAfterAbortFromAnotherThread() throws Exception {
    SftpEndpoint endpoint = open();
    PendingWrite w = endpoint.beginWrite("stopped.bin");
    w.output().write(new byte[100_000]);

    Thread aborter = new Thread(w::abort);
    aborter.start();
    aborter.join();

    assertThatThrownBy(() -> w.output().write(1)).isInstanceOf(IOException.class);
    assertThatThrownBy(w::commit).isInstanceOf(IllegalStateException.class);
    try (Stream<Path> files = Files.list(base)) {
      assertThat(files).isEmpty();
    }
  }

  // --- secrets ---------------------------------------------------------------------------------

  @Test
  void shouldNeverPutCredentialsInUriToStringOrMessages() {
    KeyPair key = TestSftpServer.generateEcKey();
    server.authorize(key.getPublic());
    String privateKey = TestSftpServer.openSshPrivateKey(key, "Phrase-Xyz-77");
    Map<String, String> credentials =
        with(
            server.passwordCredentials(),
            SftpEndpoint.PRIVATE_KEY,
            privateKey,
            SftpEndpoint.PASSPHRASE,
            "Phrase-Xyz-77");
    SftpEndpoint endpoint = open(credentials);
    List<String> texts = new ArrayList<>();
    texts.add(endpoint.uri());
    texts.add(endpoint.toString());
    List<ThrowingCallable> failures =
        List.of(
            () -> endpoint.open("missing"),
            () -> endpoint.open("../x"),
            () -> endpoint.delete("/abs"),
            () ->
                open(
                    with(
                        credentials,
                        SftpEndpoint.PASSWORD,
                        "Bad-Pw-1",
                        SftpEndpoint.PRIVATE_KEY,
                        null)),
            () -> open(with(credentials, SftpEndpoint.PASSPHRASE, "Bad-Phrase-2")),
            () -> open(with(credentials, SftpEndpoint.KNOWN_HOSTS, "x.example ssh-ed25519 AAAA")),
            () -> open(server.uri("/missing-base"), credentials, options()));
    for (ThrowingCallable failure : failures) {
      Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(failure);
      assertThat(thrown).isInstanceOf(StorageException.class);
      for (Throwable t = thrown; t != null; t = t.getCause()) {
        texts.add(String.valueOf(t.getMessage()));
      }
    }

    assertThat(texts)
        .allSatisfy(
            text ->
                assertThat(text)
                    .doesNotContain(TestSftpServer.PASSWORD)
                    .doesNotContain("Phrase-Xyz-77")
                    .doesNotContain("Bad-Pw-1")
                    .doesNotContain("Bad-Phrase-2")
                    .doesNotContain("PRIVATE KEY")
                    .doesNotContain(privateKey.lines().skip(1).findFirst().orElseThrow()));
  }

  private static SftpEndpoint.Options options() {
    return SftpEndpoint.Options.DEFAULTS;
  }

  @Test
  void shouldReadBackEveryWriteEvenWhenTheWritesHoldEveryChannel() throws IOException {
    // Two channels, two open writes: reading back used to borrow a third channel and wait for it
    // (the demo's parallel small files deadlocked this way until the channel wait timed out).
    SftpEndpoint e =
        open(
            uri,
            server.passwordCredentials(),
            new SftpEndpoint.Options(
                Duration.ofSeconds(15), Duration.ofSeconds(30), 2, Duration.ofSeconds(2)));
    PendingWrite first = e.beginWrite("one.txt");
    PendingWrite second = e.beginWrite("two.txt");
    first.output().write("first".getBytes(StandardCharsets.UTF_8));
    second.output().write("second".getBytes(StandardCharsets.UTF_8));
    try (InputStream a = first.readBack();
        InputStream b = second.readBack()) {
      assertThat(new String(a.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("first");
      assertThat(new String(b.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("second");
    }
    first.commit();
    second.commit();
    assertThat(Files.readString(base.resolve("one.txt"))).isEqualTo("first");
    assertThat(Files.readString(base.resolve("two.txt"))).isEqualTo("second");
  }
}

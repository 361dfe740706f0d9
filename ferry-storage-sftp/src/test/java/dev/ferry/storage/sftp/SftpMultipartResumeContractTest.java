package dev.ferry.storage.sftp;

import dev.ferry.storage.LocalFileSystemEndpoint;
import dev.ferry.storage.MultipartResumeContractTest;
import dev.ferry.storage.StorageEndpoint;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/** The resumable-write contract, against a real in-process MINA SSHD SFTP server. */
class SftpMultipartResumeContractTest extends MultipartResumeContractTest {

  @TempDir static Path serverRoot;
  private static TestSftpServer server;
  private static final AtomicInteger bases = new AtomicInteger();
  private Path baseDir;

  @BeforeAll
  static void startServer() {
    server = TestSftpServer.start(serverRoot);
  }

  @AfterAll
  static void stopServer() {
    server.close();
  }

  @Override
  protected StorageEndpoint createEndpoint() throws Exception {
    String base = "/base-" + bases.incrementAndGet();
    baseDir = Files.createDirectories(serverRoot.resolve(base.substring(1)));
    return SftpEndpoint.open(server.uri(base), server.passwordCredentials());
  }

  /** Ferry's temporary files under the endpoint's base, seen on the server's disk. */
  @Override
  protected List<String> leftovers() throws IOException {
    try (Stream<Path> files = Files.walk(baseDir)) {
      return files
          .filter(f -> f.getFileName().toString().startsWith(LocalFileSystemEndpoint.TEMP_PREFIX))
          .map(f -> baseDir.relativize(f).toString())
          .toList();
    }
  }

  @Override
  protected Optional<String> escapingToken() {
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    return Optional.of(
        "ferry-sftp-resume:1:"
            + b64.encodeToString("../outside".getBytes(StandardCharsets.UTF_8))
            + ":"
            + b64.encodeToString(".ferry-tmp-1-outside".getBytes(StandardCharsets.UTF_8)));
  }
}

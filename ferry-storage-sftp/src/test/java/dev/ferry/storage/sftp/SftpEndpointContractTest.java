package dev.ferry.storage.sftp;

import dev.ferry.storage.StorageEndpoint;
import dev.ferry.storage.StorageEndpointContractTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/** The shared endpoint contract, against a real in-process MINA SSHD SFTP server. */
class SftpEndpointContractTest extends StorageEndpointContractTest {

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

  /** The endpoint's base on the server's disk. */
  @Override
  protected Optional<Path> backingDirectory() {
    return Optional.of(baseDir);
  }
}

package dev.ferry.storage.sftp;

import dev.ferry.storage.MultipartResumeContractTest;
import dev.ferry.storage.StorageEndpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/** The resumable-write contract, against a real in-process MINA SSHD SFTP server. */
class SftpMultipartResumeContractTest extends MultipartResumeContractTest {

  @TempDir static Path serverRoot;
  private static TestSftpServer server;
  private static final AtomicInteger bases = new AtomicInteger();

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
    Files.createDirectories(serverRoot.resolve(base.substring(1)));
    return SftpEndpoint.open(server.uri(base), server.passwordCredentials());
  }
}

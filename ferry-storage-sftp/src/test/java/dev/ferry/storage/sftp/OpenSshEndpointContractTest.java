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

/**
 * The shared endpoint contract against Debian's OpenSSH server ({@link DebianSshd}), with key
 * authentication and known_hosts verification; skipped where sshd is not installed, unless {@code
 * FERRY_REQUIRE_SSHD} is set.
 */
class OpenSshEndpointContractTest extends StorageEndpointContractTest {

  @TempDir static Path temp;
  private static DebianSshd sshd;
  private static final AtomicInteger bases = new AtomicInteger();
  private Path base;

  @BeforeAll
  static void startServer() {
    sshd = DebianSshd.start(temp);
  }

  @AfterAll
  static void stopServer() {
    if (sshd != null) {
      sshd.close();
    }
  }

  @Override
  protected StorageEndpoint createEndpoint() throws Exception {
    base = Files.createDirectories(temp.resolve("data/base-" + bases.incrementAndGet()));
    return SftpEndpoint.open(sshd.uri(base), sshd.keyCredentials());
  }

  /** The endpoint's base on the server's disk (the same machine). */
  @Override
  protected Optional<Path> backingDirectory() {
    return Optional.of(base);
  }
}

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

/**
 * The resumable-write contract against Debian's OpenSSH server ({@link DebianSshd}): fsync, ranged
 * read-back, truncation and rename-based takeover of kept temporary files as OpenSSH's {@code
 * internal-sftp} does them. Skipped where sshd is not installed, unless {@code FERRY_REQUIRE_SSHD}
 * is set.
 */
class OpenSshMultipartResumeContractTest extends MultipartResumeContractTest {

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

  @Override
  protected List<String> leftovers() throws IOException {
    try (Stream<Path> files = Files.walk(base)) {
      return files
          .filter(f -> f.getFileName().toString().startsWith(LocalFileSystemEndpoint.TEMP_PREFIX))
          .map(f -> base.relativize(f).toString())
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

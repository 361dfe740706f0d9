package dev.ferry.app.demo;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.storage.StorageEndpoint;
import dev.ferry.storage.sftp.SftpEndpoint;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The demo's SFTP server as Ferry's own SFTP endpoint sees it, across a restart. */
class DemoSftpServerTest {
  @Test
  void shouldKeepItsHostKeyAcrossRestartsSoThePinnedFingerprintStaysValid(@TempDir Path dir)
      throws Exception {
    Path root = dir.resolve("site-b");
    Path key = dir.resolve("sftp-host-key");
    String fingerprint;
    int port;
    try (DemoSftpServer s = DemoSftpServer.start(root, key, "pw-123", 0)) {
      fingerprint = s.fingerprint();
      port = s.port();
      assertThat(fingerprint).startsWith("SHA256:");
    }
    assertThat(key).isRegularFile();
    Files.writeString(Files.createDirectories(root.resolve("d")).resolve("hello.txt"), "hi");
    try (DemoSftpServer again = DemoSftpServer.start(root, key, "pw-123", port)) {
      assertThat(again.fingerprint()).isEqualTo(fingerprint);
      assertThat(again.port()).isEqualTo(port);
      try (StorageEndpoint e =
          SftpEndpoint.open(
              URI.create("sftp://ferry@127.0.0.1:" + port + "/"),
              Map.of(
                  SftpEndpoint.PASSWORD,
                  "pw-123",
                  SftpEndpoint.HOST_KEY_FINGERPRINT,
                  fingerprint))) {
        assertThat(e.stat("d/hello.txt")).isPresent();
      }
    }
  }
}

package dev.ferry.app.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DemoStateTest {
  @Test
  void shouldKeepPortsAndSecretsForTheNextRunInAPrivateFile(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("demo/state.properties");
    DemoState first = DemoState.load(file);
    assertThat(first.port("sftp")).isZero();
    first.setPort("sftp", 40123);
    String password = first.secret("sftp.password");
    assertThat(password).hasSize(32).isEqualTo(first.secret("sftp.password"));

    DemoState second = DemoState.load(file);
    assertThat(second.port("sftp")).isEqualTo(40123);
    assertThat(second.secret("sftp.password")).isEqualTo(password);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
        .isEqualTo("rw-------");
  }
}

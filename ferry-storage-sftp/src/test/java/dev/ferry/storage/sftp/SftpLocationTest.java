package dev.ferry.storage.sftp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ferry.storage.StorageException;
import dev.ferry.storage.StorageException.ErrorClass;
import java.net.URI;
import org.junit.jupiter.api.Test;

class SftpLocationTest {

  @Test
  void shouldParseUserHostPortAndBase() {
    SftpLocation l = SftpLocation.parse(URI.create("sftp://alice@files.example:2222/srv/data/"));

    assertThat(l).isEqualTo(new SftpLocation("alice", "files.example", 2222, "/srv/data"));
    assertThat(l.display()).isEqualTo("sftp://alice@files.example:2222/srv/data");
    assertThat(l.homeRelative()).isFalse();
  }

  @Test
  void shouldDefaultToPort22AndRootBase() {
    SftpLocation l = SftpLocation.parse(URI.create("SFTP://bob@host"));

    assertThat(l.port()).isEqualTo(22);
    assertThat(l.basePath()).isEqualTo("/");
    assertThat(l.display()).isEqualTo("sftp://bob@host:22/");
  }

  @Test
  void shouldUnderstandHomeRelativeBaseAndIpv6Hosts() {
    SftpLocation home = SftpLocation.parse(URI.create("sftp://carol@[::1]/~/inbox"));

    assertThat(home.host()).isEqualTo("::1");
    assertThat(home.homeRelative()).isTrue();
    assertThat(home.homeRelativePath()).isEqualTo("inbox");
    assertThat(home.display()).isEqualTo("sftp://carol@[::1]:22/~/inbox");
    assertThat(home.hostAndPort()).isEqualTo("[::1]:22");
    assertThat(SftpLocation.parse(URI.create("sftp://carol@h/~")).homeRelativePath())
        .isEqualTo(".");
  }

  @Test
  void shouldRejectWhatItCannotUseWithoutEchoingUserInfo() {
    String[][] cases = {
      {"sftp://user:Hunter2-Secret@host/x", "must not carry a password"},
      {"sftp://host/x", "names no user"},
      {"sftp:///x", "names no host"},
      {"sftp://u@host/x?password=Query-Secret", "must not have a query"},
      {"http://u@host/x", "is not an sftp: URI"},
    };
    for (String[] c : cases) {
      assertThatThrownBy(() -> SftpLocation.parse(URI.create(c[0])))
          .as(c[0])
          .isInstanceOf(StorageException.class)
          .hasMessageContaining(c[1])
          .hasMessageNotContaining("Secret")
          .satisfies(
              e ->
                  assertThat(((StorageException) e).errorClass())
                      .isEqualTo(ErrorClass.UNSUPPORTED));
    }
  }
}

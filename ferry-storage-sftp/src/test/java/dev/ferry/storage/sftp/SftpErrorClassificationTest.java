package dev.ferry.storage.sftp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.storage.StorageException;
import dev.ferry.storage.StorageException.ErrorClass;
import java.io.IOException;
import java.io.InterruptedIOException;
import org.apache.sshd.common.SshException;
import org.apache.sshd.sftp.common.SftpConstants;
import org.apache.sshd.sftp.common.SftpException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SftpErrorClassificationTest {

  @ParameterizedTest(name = "SFTP status {0} -> {1}, retryable {2}")
  @CsvSource({
    SftpConstants.SSH_FX_NO_SUCH_FILE + ", NOT_FOUND, false",
    SftpConstants.SSH_FX_NO_SUCH_PATH + ", NOT_FOUND, false",
    SftpConstants.SSH_FX_PERMISSION_DENIED + ", PERMISSION, false",
    SftpConstants.SSH_FX_WRITE_PROTECT + ", PERMISSION, false",
    SftpConstants.SSH_FX_FILE_ALREADY_EXISTS + ", CONFLICT, false",
    SftpConstants.SSH_FX_FILE_IS_A_DIRECTORY + ", CONFLICT, false",
    SftpConstants.SSH_FX_OP_UNSUPPORTED + ", UNSUPPORTED, false",
    SftpConstants.SSH_FX_FAILURE + ", IO, true",
    SftpConstants.SSH_FX_NO_SPACE_ON_FILESYSTEM + ", IO, true",
    SftpConstants.SSH_FX_CONNECTION_LOST + ", IO, true",
  })
  void shouldClassifySftpStatus(int status, ErrorClass expected, boolean retryable) {
    StorageException e =
        SftpEndpoint.classify("reading 'a/b' at sftp://u@h:22/x", new SftpException(status, "m"));

    assertThat(e.errorClass()).isEqualTo(expected);
    assertThat(e.retryable()).isEqualTo(retryable);
    assertThat(e.getMessage())
        .startsWith("reading 'a/b' at sftp://u@h:22/x")
        .contains(SftpConstants.getStatusName(status));
  }

  @ParameterizedTest
  @CsvSource({"lost", "interrupted", "plain"})
  void shouldClassifyTransportFailuresAsRetryableIo(String kind) {
    IOException cause =
        switch (kind) {
          case "lost" -> new SshException("Channel is being closed");
          case "interrupted" -> new InterruptedIOException("interrupted");
          default -> new IOException("Connection reset");
        };

    StorageException e = SftpEndpoint.classify("listing sftp://u@h:22/x", cause);

    assertThat(e.errorClass()).isEqualTo(ErrorClass.IO);
    assertThat(e.retryable()).isTrue();
    assertThat(e).hasCause(cause);
  }
}

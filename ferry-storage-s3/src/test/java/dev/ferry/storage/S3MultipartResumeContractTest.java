package dev.ferry.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ferry.storage.MultipartResume.ResumableWrite;
import dev.ferry.storage.s3.S3Endpoint;
import dev.ferry.storage.s3.TestS3;
import java.io.IOException;

/**
 * The shared resume contract against a real S3 server (s3proxy), with S3's smallest part size.
 *
 * <p>In package {@code dev.ferry.storage} rather than the adapter's: that is the only way to
 * override the contract's package-private {@link #shouldHandWriteToOneResumerOnly()}.
 */
class S3MultipartResumeContractTest extends MultipartResumeContractTest {

  @Override
  protected StorageEndpoint createEndpoint() {
    TestS3 s3 = TestS3.get();
    return S3Endpoint.open(s3.uri(s3.newBucket(), "resume"), s3.credentials());
  }

  @Override
  protected int partSize() {
    return (int) S3Endpoint.MIN_PART_SIZE;
  }

  /**
   * S3 cannot make resuming exclusive (a multipart upload has no owner or lock): every resumer gets
   * the write, the first commit publishes, and a stale writer's commit then fails because the
   * upload is gone. Keeping one attempt per file at a time is the control plane's lease's job.
   */
  @Override
  void shouldHandWriteToOneResumerOnly() throws IOException {
    int part = partSize();
    byte[] content = data(2 * part, 4);
    ResumableWrite stale = resumable.beginResumableWrite("f", part);
    stale.output().write(content, 0, part);
    assertThat(stale.sync()).isEqualTo(part);
    String token = stale.resumeToken();

    ResumableWrite taken = resumable.resume(token).orElseThrow();
    assertThat(resumable.resume(token)).as("not exclusive").isPresent();
    taken.output().write(content, part, part);
    taken.commit();

    assertThatThrownBy(stale::commit)
        .isInstanceOfSatisfying(
            StorageException.class,
            e -> assertThat(e.errorClass()).isEqualTo(StorageException.ErrorClass.NOT_FOUND));
    assertThat(readBytes(endpoint.open("f"))).isEqualTo(content);
  }
}

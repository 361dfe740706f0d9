package dev.ferry.storage.s3;

import dev.ferry.storage.MultipartResumeContractTest;
import dev.ferry.storage.StorageEndpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shared resume contract against a real S3 server (s3proxy), with S3's smallest part size.
 * Leftovers are the bucket's open multipart uploads and the endpoint's local read-back spool files.
 */
class S3MultipartResumeContractTest extends MultipartResumeContractTest {

  @TempDir Path spool;
  private String bucket;

  @Override
  protected StorageEndpoint createEndpoint() {
    TestS3 s3 = TestS3.get();
    bucket = s3.newBucket();
    return S3Endpoint.open(
        s3.uri(bucket, "resume"),
        s3.credentials(),
        new S3Endpoint.Settings(S3Endpoint.DEFAULT_PART_SIZE, spool, b -> {}));
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
  protected boolean exclusiveResume() {
    return false;
  }

  @Override
  protected List<String> leftovers() throws IOException {
    List<String> left = new ArrayList<>();
    TestS3.get()
        .openUploads(bucket)
        .forEach(u -> left.add("upload " + u.key() + " " + u.uploadId()));
    try (Stream<Path> files = Files.list(spool)) {
      files.forEach(f -> left.add("spool " + f.getFileName()));
    }
    return left;
  }

  /** A well-formed token of this bucket and prefix whose key climbs out of the prefix. */
  @Override
  protected Optional<String> escapingToken() {
    return Optional.of(
        new ResumeToken(
                bucket, "resume/../outside", "upload-1", S3Endpoint.MIN_PART_SIZE, List.of())
            .encode());
  }
}

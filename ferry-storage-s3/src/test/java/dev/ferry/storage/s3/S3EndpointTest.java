package dev.ferry.storage.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ferry.model.ChecksumAlgorithm;
import dev.ferry.storage.Checksums;
import dev.ferry.storage.InvalidPathException;
import dev.ferry.storage.ListPage;
import dev.ferry.storage.MultipartResume;
import dev.ferry.storage.MultipartResume.ResumableWrite;
import dev.ferry.storage.PendingWrite;
import dev.ferry.storage.ServerSideChecksum;
import dev.ferry.storage.StorageEndpoint;
import dev.ferry.storage.StorageEndpoints;
import dev.ferry.storage.StorageEntry;
import dev.ferry.storage.StorageException;
import dev.ferry.storage.StorageException.ErrorClass;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import java.util.zip.CRC32C;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListPartsRequest;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.UploadPartRequest;

/** What the contract suite does not cover: multipart, checksums, resume, secrets, paging. */
class S3EndpointTest {
  /** S3's smallest part (s3proxy enforces it too), to keep the data small. */
  private static final int PART = (int) S3Endpoint.MIN_PART_SIZE;

  private static final String CRC_HEADER = "x-amz-checksum-crc32c";

  private final TestS3 s3 = TestS3.get();
  private final RecordingInterceptor recorder = new RecordingInterceptor();
  @TempDir Path spool;
  private String bucket;
  private S3Endpoint endpoint;

  @BeforeEach
  void openEndpoint() {
    bucket = s3.newBucket();
    endpoint = open(s3.uri(bucket, "base"), s3.credentials());
  }

  @AfterEach
  void closeEndpoint() {
    endpoint.close();
  }

  private S3Endpoint open(java.net.URI uri, Map<String, String> credentials) {
    return open(uri, credentials, PART, true);
  }

  private S3Endpoint open(
      java.net.URI uri, Map<String, String> credentials, long partSize, boolean retries) {
    return S3Endpoint.open(
        uri,
        credentials,
        new S3Endpoint.Settings(
            partSize,
            spool,
            b ->
                b.overrideConfiguration(
                    o -> {
                      o.addExecutionInterceptor(recorder);
                      if (!retries) {
                        o.retryStrategy(AwsRetryStrategy.doNotRetry());
                      }
                    })));
  }

  // --- multipart and checksums ---------------------------------------------------------------

  @Test
  void shouldUploadLargeObjectAsMultipartWithPerPartCrc32c() throws IOException {
    byte[] data = bytes(2 * PART + 12_345, 1);

    try (PendingWrite w = endpoint.beginWrite("big/object.bin")) {
      w.output().write(data);
      assertThat(endpoint.stat("big/object.bin")).as("visible before commit").isEmpty();
      assertThat(s3.openUploads(bucket)).hasSize(1);
      assertThat(spool).as("uploaded parts are spooled for read-back").isNotEmptyDirectory();
      assertThat(readAll(w.readBack())).isEqualTo(data);
      w.commit();
    }
    assertThat(spool).isEmptyDirectory();

    List<UploadPartRequest> parts = recorder.requests(UploadPartRequest.class);
    assertThat(parts).extracting(UploadPartRequest::partNumber).containsExactly(1, 2, 3);
    assertThat(parts)
        .extracting(UploadPartRequest::checksumCRC32C)
        .containsExactly(
            crc32c(data, 0, PART), crc32c(data, PART, PART), crc32c(data, 2 * PART, 12_345));
    // per attempt: the SDK may retry a part (a kept-alive connection the server closed)
    assertThat(
            recorder.httpRequests().stream()
                .filter(r -> r.rawQueryParameters().containsKey("partNumber"))
                .collect(
                    Collectors.toMap(
                        r -> Integer.valueOf(r.rawQueryParameters().get("partNumber").get(0)),
                        r -> r.firstMatchingHeader(CRC_HEADER).orElse("none"),
                        (first, retry) -> first.equals(retry) ? first : "differs")))
        .as("CRC32C sent as a header, for the server to check")
        .isEqualTo(
            Map.of(
                1, parts.get(0).checksumCRC32C(),
                2, parts.get(1).checksumCRC32C(),
                3, parts.get(2).checksumCRC32C()));
    assertThat(recorder.requests(PutObjectRequest.class)).isEmpty();
    assertThat(recorder.requests(CompleteMultipartUploadRequest.class))
        .singleElement()
        .extracting(CompleteMultipartUploadRequest::checksumCRC32C)
        .isEqualTo(crc32c(data, 0, data.length));

    assertThat(readAll(endpoint.open("big/object.bin"))).isEqualTo(data);
    assertThat(endpoint.checksum("big/object.bin", ChecksumAlgorithm.CRC32C))
        .contains(Checksums.of(ChecksumAlgorithm.CRC32C, data));
    assertThat(s3.openUploads(bucket)).isEmpty();
  }

  @Test
  void shouldSendObjectsUpToOnePartInOnePutWithCrc32c() throws IOException {
    byte[] data = bytes(PART, 2);
    try (PendingWrite w = endpoint.beginWrite("exactly-one-part")) {
      w.output().write(data);
      assertThat(s3.openUploads(bucket)).as("no upload for one part").isEmpty();
      assertThat(readAll(w.readBack())).isEqualTo(data);
      w.commit();
    }

    assertThat(recorder.requests(UploadPartRequest.class)).isEmpty();
    assertThat(recorder.requests(PutObjectRequest.class))
        .singleElement()
        .extracting(PutObjectRequest::checksumCRC32C)
        .isEqualTo(crc32c(data, 0, data.length));
    assertThat(readAll(endpoint.open("exactly-one-part"))).isEqualTo(data);
    assertThat(endpoint.checksum("exactly-one-part", ChecksumAlgorithm.CRC32C))
        .contains(Checksums.of(ChecksumAlgorithm.CRC32C, data));
  }

  @Test
  void shouldAnswerServerSideChecksumsForCrc32cOnly() {
    write("c.txt", "123456789");

    ServerSideChecksum checksums = endpoint.capability(ServerSideChecksum.class).orElseThrow();
    assertThat(checksums.serverSideChecksums()).containsExactly(ChecksumAlgorithm.CRC32C);
    assertThat(checksums.checksum("c.txt", ChecksumAlgorithm.CRC32C)).contains("e3069283");
    assertThat(checksums.checksum("c.txt", ChecksumAlgorithm.SHA256)).isEmpty();
    assertThatThrownBy(() -> checksums.checksum("missing", ChecksumAlgorithm.CRC32C))
        .isInstanceOfSatisfying(
            StorageException.class,
            e -> assertThat(e.errorClass()).isEqualTo(ErrorClass.NOT_FOUND));
  }

  @Test
  void shouldFailAPartTheServerReceivedCorruptedAsChecksumMismatch() throws IOException {
    recorder.corrupt(CRC_HEADER);

    PendingWrite w = endpoint.beginWrite("corrupt.bin");
    w.output().write(new byte[PART]);
    assertThatThrownBy(() -> w.output().write(1)) // the first part goes up now
        .isInstanceOf(IOException.class)
        .hasMessageContaining("uploading part 1 of 'corrupt.bin'")
        .cause()
        .isInstanceOfSatisfying(
            StorageException.class,
            e -> {
              assertThat(e.errorClass()).isEqualTo(ErrorClass.CHECKSUM_MISMATCH);
              assertThat(e.retryable()).isTrue();
            });
    w.close();

    assertThat(endpoint.stat("corrupt.bin")).isEmpty();
    assertThat(s3.openUploads(bucket)).isEmpty();
  }

  @Test
  void shouldAbortMultipartUploadAndLeaveNothing() throws Exception {
    PendingWrite w = endpoint.beginWrite("gone.bin");
    w.output().write(bytes(PART + 10, 3));
    assertThat(s3.openUploads(bucket)).hasSize(1);

    CompletableFuture.runAsync(w::abort).get(); // from another thread, as a canceller would

    assertThat(s3.openUploads(bucket)).isEmpty();
    assertThat(spool).isEmptyDirectory();
    assertThat(endpoint.stat("gone.bin")).isEmpty();
    assertThatThrownBy(() -> w.output().write(1)).isInstanceOf(IOException.class);
    assertThatThrownBy(w::commit).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void shouldKeepTheOldObjectUntilAMultipartReplacementCompletes() throws IOException {
    write("f", "old");
    byte[] data = bytes(PART + 1, 4);
    try (PendingWrite w = endpoint.beginWrite("f")) {
      w.output().write(data);
      w.output().close();
      assertThat(s3.openUploads(bucket)).hasSize(1);
      assertThat(readAll(endpoint.open("f"))).asString().isEqualTo("old");
      w.commit();
    }
    assertThat(readAll(endpoint.open("f"))).isEqualTo(data);
  }

  // --- resume --------------------------------------------------------------------------------

  @Test
  void shouldResumeFromDurablePartsWithoutSendingThemAgain() throws IOException {
    byte[] data = bytes(3 * PART + PART / 2 + 7, 5);
    MultipartResume resumable = endpoint.capability(MultipartResume.class).orElseThrow();

    ResumableWrite first = resumable.beginResumableWrite("resume/me.bin", PART);
    first.output().write(data, 0, 3 * PART + 1000); // three parts up, 1000 bytes only buffered
    assertThat(first.durableBytes()).isEqualTo(3L * PART);
    String token = first.resumeToken();
    // crash: the writer is gone without commit, abort or close; its upload stays

    assertThat(token)
        .doesNotContain(TestS3.ACCESS_KEY, TestS3.SECRET_KEY)
        .satisfies(
            t ->
                assertThat(new String(Base64.getUrlDecoder().decode(t.substring(7))))
                    .contains(bucket, "base/resume/me.bin")
                    .doesNotContain(TestS3.ACCESS_KEY, TestS3.SECRET_KEY));
    recorder.clear();

    ResumableWrite second = resumable.resume(token).orElseThrow();
    assertThat(second.path().value()).isEqualTo("resume/me.bin");
    assertThat(second.durableBytes()).isEqualTo(3L * PART);
    int from = (int) second.durableBytes();
    assertThatThrownBy(() -> second.readBack(0, 10))
        .isInstanceOfSatisfying(
            StorageException.class,
            e -> assertThat(e.errorClass()).isEqualTo(ErrorClass.UNSUPPORTED));
    second.output().write(data, from, data.length - from);
    assertThat(readAll(second.readBack(from, 100)))
        .isEqualTo(Arrays.copyOfRange(data, from, from + 100));
    assertThatThrownBy(second::readBack)
        .isInstanceOfSatisfying(
            StorageException.class,
            e -> assertThat(e.errorClass()).isEqualTo(ErrorClass.UNSUPPORTED))
        .hasMessageContaining("earlier attempt");
    second.commit();

    List<UploadPartRequest> resent = recorder.requests(UploadPartRequest.class);
    assertThat(resent).extracting(UploadPartRequest::partNumber).containsExactly(4);
    assertThat(resent.stream().mapToLong(UploadPartRequest::contentLength).sum())
        .as("bytes sent again")
        .isEqualTo(data.length - 3L * PART);
    assertThat(readAll(endpoint.open("resume/me.bin"))).isEqualTo(data);
    assertThat(endpoint.checksum("resume/me.bin", ChecksumAlgorithm.CRC32C))
        .as("whole-object CRC32C combined by the server from the parts")
        .contains(Checksums.of(ChecksumAlgorithm.CRC32C, data));
    assertThat(resumable.resume(token)).as("completed").isEmpty();
  }

  @Test
  void shouldReadBackAndPublishAResumableWriteThatNeverCrashed() throws IOException {
    byte[] data = bytes(PART + 3, 6);
    ResumableWrite w = endpoint.beginResumableWrite("whole.bin", PART);
    assertThat(s3.openUploads(bucket)).as("upload exists before the first byte").hasSize(1);
    w.output().write(data);
    assertThat(w.durableBytes()).isEqualTo(PART);
    assertThat(readAll(w.readBack())).isEqualTo(data);
    w.commit();
    assertThat(readAll(endpoint.open("whole.bin"))).isEqualTo(data);

    ResumableWrite empty = endpoint.beginResumableWrite("empty.bin", PART);
    empty.commit();
    assertThat(endpoint.stat("empty.bin")).map(StorageEntry::size).contains(0L);
    assertThat(s3.openUploads(bucket)).isEmpty();
  }

  @Test
  void shouldReadBackAChunkFromTheSpoolOnlyOnceListPartsConfirmedThePartsItCovers()
      throws IOException {
    byte[] data = bytes(3 * PART + 5, 9);
    ResumableWrite w = endpoint.beginResumableWrite("chunk.bin", PART);
    w.output().write(data);
    assertThat(w.sync()).isEqualTo(3L * PART);
    recorder.clear();

    assertThat(readAll(w.readBack(PART, PART))).isEqualTo(Arrays.copyOfRange(data, PART, 2 * PART));

    // AWS answers a ListParts for just part 2; s3proxy refuses the range (501), so the endpoint
    // learns to list all parts instead. Either way nothing is downloaded.
    assertThat(recorder.requests()).isNotEmpty().allMatch(ListPartsRequest.class::isInstance);
    assertThat(recorder.requests(ListPartsRequest.class).get(0))
        .satisfies(
            r -> {
              assertThat(r.partNumberMarker()).isEqualTo(1);
              assertThat(r.maxParts()).isEqualTo(1);
            });
    recorder.clear();
    assertThat(readAll(w.readBack(2L * PART, PART)))
        .isEqualTo(Arrays.copyOfRange(data, 2 * PART, 3 * PART));
    assertThat(recorder.requests()).hasSize(1).allMatch(ListPartsRequest.class::isInstance);

    // the server loses part 2 and gets a short one in its place: the chunk no longer verifies
    String uploadId = ResumeToken.decode(w.resumeToken()).uploadId();
    s3.admin()
        .uploadPart(
            b -> b.bucket(bucket).key("base/chunk.bin").uploadId(uploadId).partNumber(2),
            RequestBody.fromBytes(new byte[10]));
    assertThatThrownBy(() -> w.readBack(PART, PART))
        .isInstanceOfSatisfying(
            StorageException.class,
            e -> assertThat(e.errorClass()).isEqualTo(ErrorClass.CHECKSUM_MISMATCH))
        .hasMessageContaining("part 2", "the server has 10 bytes");
    assertThat(readAll(w.readBack(2L * PART, PART)))
        .as("part 3 is still fine")
        .isEqualTo(Arrays.copyOfRange(data, 2 * PART, 3 * PART));
    w.abort();
    assertThat(s3.openUploads(bucket)).isEmpty();
  }

  @Test
  void shouldFailTheReadBackOfAChunkWhoseSpooledCopyChanged() throws IOException {
    byte[] data = bytes(2 * PART, 10);
    ResumableWrite w = endpoint.beginResumableWrite("spooled.bin", PART);
    w.output().write(data);
    w.sync();
    try (java.util.stream.Stream<Path> files = java.nio.file.Files.list(spool)) {
      Path copy = files.findFirst().orElseThrow();
      try (java.nio.channels.FileChannel ch =
          java.nio.channels.FileChannel.open(copy, java.nio.file.StandardOpenOption.WRITE)) {
        ch.write(java.nio.ByteBuffer.wrap(new byte[] {(byte) ~data[PART + 17]}), PART + 17);
      }
    }

    assertThat(readAll(w.readBack(0, PART))).isEqualTo(Arrays.copyOf(data, PART));
    assertThatThrownBy(() -> readAll(w.readBack(PART, PART)))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("spooled copy of part 2", "CRC32C");
    w.abort();
  }

  @Test
  void shouldNotResumeAnAbortedUpload() throws IOException {
    ResumableWrite w = endpoint.beginResumableWrite("aborted.bin", PART);
    w.output().write(new byte[PART]);
    String token = w.resumeToken();
    w.close();

    assertThat(endpoint.resume(token)).isEmpty();
  }

  @Test
  void shouldRejectForeignAndMalformedResumeTokens() {
    String foreign =
        new ResumeToken("other-bucket", "base/x", "upload-1", PART, List.of()).encode();
    assertThatThrownBy(() -> endpoint.resume(foreign))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("does not belong to endpoint");
    String outsidePrefix =
        new ResumeToken(bucket, "elsewhere/x", "upload-1", PART, List.of()).encode();
    assertThatThrownBy(() -> endpoint.resume(outsidePrefix))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> endpoint.resume("not-a-token"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("malformed");
    assertThatThrownBy(() -> endpoint.beginResumableWrite("x", PART - 1))
        .isInstanceOf(IllegalArgumentException.class);
    try (S3Endpoint standard = S3Endpoint.open(s3.uri(bucket, ""), s3.credentials())) {
      assertThatThrownBy(() -> standard.beginResumableWrite("x", S3Endpoint.MIN_PART_SIZE - 1))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("outside [5242880, ");
    }
  }

  // --- paths, secrets, errors ----------------------------------------------------------------

  @Test
  void shouldRejectPathTraversalBeforeAnyRequest() {
    Map<String, String> reasons =
        Map.of(
            "../secret", "contains a '..' segment",
            "a/../../b", "contains a '..' segment",
            "/etc/passwd", "is absolute",
            "C:/Windows", "is absolute (drive letter)");
    reasons.forEach(
        (bad, reason) -> {
          List<ThrowingCallable> calls =
              List.of(
                  () -> endpoint.stat(bad),
                  () -> endpoint.open(bad),
                  () -> endpoint.beginWrite(bad),
                  () -> endpoint.beginResumableWrite(bad, PART),
                  () -> endpoint.delete(bad),
                  () -> endpoint.list(bad, null, 10),
                  () -> endpoint.checksum(bad, ChecksumAlgorithm.CRC32C));
          for (ThrowingCallable call : calls) {
            assertThatThrownBy(call)
                .as(bad)
                .isInstanceOfSatisfying(
                    InvalidPathException.class,
                    e -> {
                      assertThat(e.errorClass()).isEqualTo(ErrorClass.INVALID_PATH);
                      assertThat(e.retryable()).isFalse();
                    })
                .hasMessage("invalid path \"" + bad + "\": " + reason);
          }
        });
    String tooLong = "d/".repeat(510) + "file";
    assertThatThrownBy(() -> endpoint.beginWrite(tooLong))
        .isInstanceOf(InvalidPathException.class)
        .hasMessageContaining("longer than 1024 bytes");
    assertThat(recorder.requests()).as("requests sent").isEmpty();
  }

  @Test
  void shouldNeverShowCredentials() {
    String token = "FwoGZXIvYXdzEJr//session-token-value";
    String[] secrets = {TestS3.ACCESS_KEY, TestS3.SECRET_KEY, token};
    Map<String, String> wrongSecret =
        Map.of("accessKeyId", TestS3.ACCESS_KEY, "secretAccessKey", "wrong/" + TestS3.SECRET_KEY);
    try (S3Endpoint denied = open(s3.uri(bucket, "base"), wrongSecret)) {
      assertThat(denied.uri()).doesNotContain(secrets);
      assertThat(denied.toString()).doesNotContain(secrets).contains(bucket);

      assertThatThrownBy(() -> denied.stat("some/key"))
          .isInstanceOfSatisfying(
              StorageException.class,
              e -> {
                assertThat(e.errorClass()).as(e.getMessage()).isEqualTo(ErrorClass.PERMISSION);
                assertThat(e.retryable()).isFalse();
                assertThat(e.getMessage())
                    .startsWith("stat 'some/key' at " + denied.uri())
                    .contains("HTTP 403");
                assertThat(stackTrace(e)).doesNotContain(secrets);
              });
      assertThatThrownBy(() -> write(denied, "k", "v"))
          .satisfies(e -> assertThat(stackTrace(e)).doesNotContain(secrets));
    }
    // s3proxy implements no session tokens and answers 501: still no secret in what is thrown
    Map<String, String> withToken = new java.util.HashMap<>(s3.credentials());
    withToken.put("sessionToken", token);
    try (S3Endpoint session = open(s3.uri(bucket, "base"), withToken)) {
      assertThat(session.toString()).doesNotContain(secrets);
      assertThatThrownBy(() -> session.list("", null, 1))
          .isInstanceOfSatisfying(
              StorageException.class,
              e -> {
                assertThat(e.errorClass()).as(e.getMessage()).isEqualTo(ErrorClass.UNSUPPORTED);
                assertThat(stackTrace(e)).doesNotContain(secrets);
              });
    }

    assertThatThrownBy(
            () ->
                S3Endpoint.open(
                    java.net.URI.create("s3://" + TestS3.ACCESS_KEY + ":" + "pw@" + bucket),
                    Map.of()))
        .isInstanceOfSatisfying(
            StorageException.class,
            e -> assertThat(e.errorClass()).isEqualTo(ErrorClass.UNSUPPORTED))
        .hasMessageContaining("credentials must not be part of the URI")
        .satisfies(e -> assertThat(stackTrace(e)).doesNotContain(TestS3.ACCESS_KEY, "pw@"));
    assertThatThrownBy(
            () -> S3Endpoint.open(s3.uri(bucket, ""), Map.of("password", TestS3.SECRET_KEY)))
        .hasMessageContaining("unknown credential(s) [password]")
        .satisfies(e -> assertThat(stackTrace(e)).doesNotContain(TestS3.SECRET_KEY));
  }

  @Test
  void shouldClassifyAMissingBucketAsNotFoundAndNameIt() {
    try (S3Endpoint missing = open(s3.uri("no-such-bucket-here", ""), s3.credentials())) {
      assertThatThrownBy(() -> missing.list("", null, 10))
          .isInstanceOfSatisfying(
              StorageException.class,
              e -> assertThat(e.errorClass()).isEqualTo(ErrorClass.NOT_FOUND))
          .hasMessageContaining("s3://no-such-bucket-here");
    }
  }

  @Test
  void shouldClassifyAnUnreachableServerAsRetryableIo() {
    java.net.URI closed = java.net.URI.create("s3://bucket?endpoint=http://127.0.0.1:1");
    try (S3Endpoint down = open(closed, s3.credentials(), PART, false)) {
      assertThatThrownBy(() -> down.stat("x"))
          .isInstanceOfSatisfying(
              StorageException.class,
              e -> {
                assertThat(e.errorClass()).isEqualTo(ErrorClass.IO);
                assertThat(e.retryable()).isTrue();
              })
          .hasMessageStartingWith("stat 'x' at s3://bucket?endpoint=http://127.0.0.1:1");
    }
  }

  // --- listing -------------------------------------------------------------------------------

  @Test
  void shouldPageWithSmallPagesAndSkipForeignKeysAcrossS3Pages() {
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < 25; i++) {
      String path = "d" + (i % 3) + "/f" + (char) ('a' + i);
      write(path, "x");
      expected.add(path);
    }
    expected.sort(String::compareTo);
    for (String foreign :
        new String[] {".ferry-tmp-1", ".ferry-tmp-2", ".ferry-tmp-3", "d1/.ferry-tmp-4"}) {
      s3.putRaw(bucket, "base/" + foreign, "temporary");
    }
    recorder.clear();

    List<String> listed = new ArrayList<>();
    int pages = 0;
    String token = null;
    do {
      ListPage page = endpoint.list(null, token, 2);
      assertThat(page.entries()).hasSizeLessThanOrEqualTo(2);
      page.entries().forEach(e -> listed.add(e.path()));
      token = page.nextPageToken();
      pages++;
    } while (token != null);

    assertThat(listed).isEqualTo(expected);
    assertThat(pages).isEqualTo(13);
    List<ListObjectsV2Request> requests = recorder.requests(ListObjectsV2Request.class);
    assertThat(requests).allSatisfy(r -> assertThat(r.maxKeys()).isLessThanOrEqualTo(3));
    assertThat(requests)
        .as("the first page skips three temporary keys, following S3's continuation token")
        .anySatisfy(r -> assertThat(r.continuationToken()).isNotNull());
    assertThat(endpoint.list(null, null, 2).entries())
        .extracting(StorageEntry::path)
        .containsExactly(expected.get(0), expected.get(1));
  }

  @Test
  void shouldOpenThroughTheServiceLoader() throws IOException {
    try (StorageEndpoint opened =
        StorageEndpoints.open(s3.uri(bucket, "via/loader").toString(), s3.credentials())) {
      assertThat(opened).isInstanceOf(S3Endpoint.class);
      assertThat(opened.uri())
          .isEqualTo(
              "s3://"
                  + bucket
                  + "/via/loader?endpoint="
                  + s3.endpoint()
                  + "&region=us-east-1&pathStyle=true");
      try (PendingWrite w = opened.beginWrite("hello.txt")) {
        w.output().write("hi".getBytes(StandardCharsets.UTF_8));
        w.commit();
      }
    }
    assertThat(
            s3.admin()
                .getObjectAsBytes(b -> b.bucket(bucket).key("via/loader/hello.txt"))
                .asUtf8String())
        .isEqualTo("hi");
  }

  // --- helpers -------------------------------------------------------------------------------

  private void write(String path, String content) {
    write(endpoint, path, content);
  }

  private static void write(StorageEndpoint target, String path, String content) {
    try (PendingWrite w = target.beginWrite(path)) {
      w.output().write(content.getBytes(StandardCharsets.UTF_8));
      w.commit();
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  private static byte[] readAll(InputStream in) throws IOException {
    try (in) {
      return in.readAllBytes();
    }
  }

  private static byte[] bytes(int size, long seed) {
    byte[] data = new byte[size];
    new Random(seed).nextBytes(data);
    return data;
  }

  private static String crc32c(byte[] data, int off, int len) {
    CRC32C crc = new CRC32C();
    crc.update(data, off, len);
    return Base64.getEncoder()
        .encodeToString(java.nio.ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
  }

  private static String stackTrace(Throwable t) {
    StringWriter out = new StringWriter();
    t.printStackTrace(new PrintWriter(out));
    return out.toString();
  }
}

package dev.ferry.storage.s3;

import dev.ferry.storage.StorageEndpoint;
import dev.ferry.storage.StorageEndpointContractTest;
import java.util.HashSet;
import java.util.Set;
import java.util.stream.Collectors;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The shared endpoint contract against a real S3 server. Each endpoint is a prefix of a fresh
 * bucket whose neighbours (keys outside the prefix, and keys that only share its first characters)
 * must never show.
 */
class S3EndpointContractTest extends StorageEndpointContractTest {

  private String bucket;

  @Override
  protected StorageEndpoint createEndpoint() {
    TestS3 s3 = TestS3.get();
    bucket = s3.newBucket();
    s3.putRaw(bucket, "outside.txt", "not below the prefix");
    s3.putRaw(bucket, "root/pfx-sibling/a", "shares the prefix's characters, not its segments");
    s3.putRaw(bucket, "root/pfxfile", "likewise");
    return S3Endpoint.open(s3.uri(bucket, "root/pfx"), s3.credentials());
  }

  /**
   * S3 keys are opaque: {@code root/pfx/../escaped.txt} is a key of its own, below the prefix, on
   * AWS. s3proxy's filesystem-backed store refuses some such keys (HTTP 500) and normalizes others
   * ({@code a//c} to {@code a/c}); only names stored exactly as given count as planted.
   */
  @Override
  protected boolean plantRawName(String rawName, String content) {
    TestS3 s3 = TestS3.get();
    String key = "root/pfx/" + rawName;
    Set<String> before = keys(s3);
    try {
      s3.putRaw(bucket, key, content);
    } catch (SdkException e) {
      // refused: an S3 error, or (s3proxy's file store failing on "..") the server closing the
      // connection while the body is still being sent, which the client reports as a write error
      return false;
    }
    Set<String> added = new HashSet<>(keys(s3));
    added.removeAll(before);
    if (added.equals(Set.of(key))) {
      return true;
    }
    // stored under a normalized key ("a//c" as "a/c"): not the name the test is about
    added.forEach(k -> s3.admin().deleteObject(b -> b.bucket(bucket).key(k)));
    return false;
  }

  private Set<String> keys(TestS3 s3) {
    return s3.admin().listObjectsV2Paginator(b -> b.bucket(bucket)).contents().stream()
        .map(S3Object::key)
        .collect(Collectors.toSet());
  }
}

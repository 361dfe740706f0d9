package dev.ferry.storage.s3;

import dev.ferry.storage.StorageEndpoint;
import dev.ferry.storage.StorageEndpointContractTest;

/**
 * The shared endpoint contract against a real S3 server. Each endpoint is a prefix of a fresh
 * bucket whose neighbours (keys outside the prefix, and keys that only share its first characters)
 * must never show.
 */
class S3EndpointContractTest extends StorageEndpointContractTest {

  @Override
  protected StorageEndpoint createEndpoint() {
    TestS3 s3 = TestS3.get();
    String bucket = s3.newBucket();
    s3.putRaw(bucket, "outside.txt", "not below the prefix");
    s3.putRaw(bucket, "root/pfx-sibling/a", "shares the prefix's characters, not its segments");
    s3.putRaw(bucket, "root/pfxfile", "likewise");
    return S3Endpoint.open(s3.uri(bucket, "root/pfx"), s3.credentials());
  }
}

package dev.ferry.storage.s3;

import dev.ferry.storage.StorageEndpoint;
import dev.ferry.storage.StorageProvider;
import java.net.URI;
import java.util.Map;
import java.util.Set;

/** Opens {@code s3:} endpoints for {@link dev.ferry.storage.StorageEndpoints#open}. */
public final class S3StorageProvider implements StorageProvider {

  @Override
  public Set<String> schemes() {
    return Set.of("s3");
  }

  /** See {@link S3Endpoint#open(URI, Map)}. */
  @Override
  public StorageEndpoint open(URI uri, Map<String, String> credentials) {
    return S3Endpoint.open(uri, credentials);
  }
}

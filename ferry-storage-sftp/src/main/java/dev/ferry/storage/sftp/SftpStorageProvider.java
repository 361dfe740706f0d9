package dev.ferry.storage.sftp;

import dev.ferry.storage.StorageEndpoint;
import dev.ferry.storage.StorageProvider;
import java.net.URI;
import java.util.Map;
import java.util.Set;

/**
 * Opens {@code sftp:} endpoints for {@link dev.ferry.storage.StorageEndpoints}, found through
 * {@link java.util.ServiceLoader}. See {@link SftpEndpoint} for the URI form and the credentials.
 */
public final class SftpStorageProvider implements StorageProvider {

  @Override
  public Set<String> schemes() {
    return Set.of("sftp");
  }

  /** Connects at once with {@link SftpEndpoint.Options#DEFAULTS}; see {@link SftpEndpoint#open}. */
  @Override
  public StorageEndpoint open(URI uri, Map<String, String> credentials) {
    return SftpEndpoint.open(uri, credentials);
  }
}

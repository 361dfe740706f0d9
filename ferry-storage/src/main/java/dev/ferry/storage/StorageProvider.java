package dev.ferry.storage;

import java.net.URI;
import java.util.Map;
import java.util.Set;

/**
 * An adapter module's entry point, found with {@link java.util.ServiceLoader} (list the
 * implementation in {@code META-INF/services/dev.ferry.storage.StorageProvider}). {@link
 * StorageEndpoints#open} asks the provider that claims a URI's scheme to open it.
 */
public interface StorageProvider {

  /** The URI schemes this provider opens, lowercase (e.g. {@code s3}). */
  Set<String> schemes();

  /**
   * Opens the endpoint at {@code uri}.
   *
   * @param credentials decrypted endpoint credentials; never logged
   * @throws StorageException naming the endpoint (without secrets) when it cannot be opened
   */
  StorageEndpoint open(URI uri, Map<String, String> credentials);
}

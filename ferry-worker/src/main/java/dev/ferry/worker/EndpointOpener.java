package dev.ferry.worker;

import dev.ferry.model.protocol.EndpointRef;
import dev.ferry.storage.StorageEndpoint;
import dev.ferry.storage.StorageEndpoints;

/**
 * Opens the storage endpoints a lease names. The default opens them by URI with {@link
 * StorageEndpoints}; tests and the demo substitute fakes or fault-injecting wrappers. The worker
 * closes what it opened when the attempt ends.
 */
@FunctionalInterface
public interface EndpointOpener {
  EndpointOpener DEFAULT = ref -> StorageEndpoints.open(ref.uri(), ref.credentials());

  /**
   * @throws dev.ferry.storage.StorageException when the endpoint cannot be opened
   */
  StorageEndpoint open(EndpointRef endpoint);
}

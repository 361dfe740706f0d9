package dev.ferry.storage;

import dev.ferry.storage.StorageException.ErrorClass;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceLoader;

/**
 * Opens endpoints by URI: {@code file:} here, other schemes through the {@link StorageProvider}s of
 * the adapter modules on the class path.
 */
public final class StorageEndpoints {
  private StorageEndpoints() {}

  /**
   * Opens the endpoint at {@code uri} with {@code credentials} (ignored by {@code file:}).
   *
   * @throws StorageException {@code unsupported} for a scheme without an adapter or a malformed
   *     URI; {@code not-found} when a local root does not exist
   */
  public static StorageEndpoint open(String uri, Map<String, String> credentials) {
    URI parsed;
    try {
      parsed = new URI(uri);
    } catch (URISyntaxException | NullPointerException e) {
      throw new StorageException(ErrorClass.UNSUPPORTED, "malformed endpoint URI " + uri, e);
    }
    String scheme = parsed.getScheme() == null ? "" : parsed.getScheme().toLowerCase(Locale.ROOT);
    if (scheme.equals("file")) {
      return LocalFileSystemEndpoint.open(parsed);
    }
    for (StorageProvider provider : ServiceLoader.load(StorageProvider.class)) {
      if (provider.schemes().contains(scheme)) {
        return provider.open(parsed, credentials == null ? Map.of() : credentials);
      }
    }
    throw new StorageException(
        ErrorClass.UNSUPPORTED,
        "scheme "
            + (scheme.isEmpty() ? "(none)" : scheme)
            + " not supported yet (endpoint "
            + redact(parsed)
            + ")");
  }

  /** The URI without user info, query or fragment, which may carry secrets. */
  static String redact(URI uri) {
    StringBuilder b = new StringBuilder();
    if (uri.getScheme() != null) {
      b.append(uri.getScheme()).append(':');
    }
    if (uri.getHost() != null) {
      b.append("//").append(uri.getHost());
      if (uri.getPort() >= 0) {
        b.append(':').append(uri.getPort());
      }
    }
    if (uri.getRawPath() != null) {
      b.append(uri.getRawPath());
    }
    return b.toString();
  }
}

package dev.ferry.storage.sftp;

import dev.ferry.storage.StorageException;
import dev.ferry.storage.StorageException.ErrorClass;
import java.net.URI;
import java.util.Locale;

/**
 * Where an SFTP endpoint is: {@code sftp://user@host:port/base/path}, parsed and validated.
 *
 * @param user login name, never a password
 * @param host host name or address as written (IPv6 without brackets)
 * @param port 22 unless the URI says otherwise
 * @param basePath the base directory on the server as written: absolute ({@code /srv/data}) or,
 *     with a leading {@code /~}, relative to the login directory
 */
record SftpLocation(String user, String host, int port, String basePath) {
  static final int DEFAULT_PORT = 22;

  /**
   * Parses {@code uri}.
   *
   * @throws StorageException {@code unsupported} naming the URI without its user info when it is
   *     not an {@code sftp:} URI with a user and a host, or has a password, query or fragment
   */
  static SftpLocation parse(URI uri) {
    String shown = redacted(uri);
    if (uri.getScheme() == null || !uri.getScheme().toLowerCase(Locale.ROOT).equals("sftp")) {
      throw unsupported(shown, "is not an sftp: URI");
    }
    if (uri.getHost() == null) {
      throw unsupported(shown, "names no host (expected sftp://user@host:port/base/path)");
    }
    if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
      throw unsupported(shown, "must not have a query or fragment");
    }
    String userInfo = uri.getUserInfo();
    if (userInfo == null || userInfo.isEmpty()) {
      throw unsupported(shown, "names no user (expected sftp://user@host:port/base/path)");
    }
    if (userInfo.indexOf(':') >= 0) {
      // the part after ':' is a password: never echo it, and never accept it from a URI
      throw unsupported(
          shown, "must not carry a password; pass it as the 'password' credential instead");
    }
    String host = uri.getHost();
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port = uri.getPort() < 0 ? DEFAULT_PORT : uri.getPort();
    String path = uri.getPath() == null || uri.getPath().isEmpty() ? "/" : uri.getPath();
    if (path.length() > 1 && path.endsWith("/")) {
      path = path.substring(0, path.length() - 1);
    }
    return new SftpLocation(userInfo, host, port, path);
  }

  /** True when {@link #basePath()} is relative to the login directory ({@code /~/...}). */
  boolean homeRelative() {
    return basePath.equals("/~") || basePath.startsWith("/~/");
  }

  /** The base path relative to the login directory; only when {@link #homeRelative()}. */
  String homeRelativePath() {
    return basePath.equals("/~") ? "." : basePath.substring(3);
  }

  /** {@code sftp://user@host:port/base}: no secret, fit for messages and logs. */
  String display() {
    String h = host.indexOf(':') >= 0 ? "[" + host + "]" : host;
    return "sftp://" + user + "@" + h + ":" + port + basePath;
  }

  /** {@code host:port} as known_hosts and messages write it. */
  String hostAndPort() {
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
  }

  private static StorageException unsupported(String shown, String reason) {
    return new StorageException(
        ErrorClass.UNSUPPORTED, "SFTP endpoint URI " + shown + " " + reason);
  }

  /** The URI without user info, query or fragment, which may carry secrets. */
  private static String redacted(URI uri) {
    StringBuilder b = new StringBuilder();
    if (uri.getScheme() != null) {
      b.append(uri.getScheme()).append(':');
    }
    if (uri.getHost() != null) {
      b.append("//").append(uri.getHost());
      if (uri.getPort() >= 0) {
        b.append(':').append(uri.getPort());
      }
    } else if (uri.getRawAuthority() != null) {
      b.append("//(unparsable authority)");
    }
    if (uri.getRawPath() != null) {
      b.append(uri.getRawPath());
    }
    return b.toString();
  }
}

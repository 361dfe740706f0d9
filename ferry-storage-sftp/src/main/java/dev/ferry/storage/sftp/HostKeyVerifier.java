package dev.ferry.storage.sftp;

import dev.ferry.storage.StorageException;
import dev.ferry.storage.StorageException.ErrorClass;
import java.net.SocketAddress;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.sshd.client.config.hosts.KnownHostEntry;
import org.apache.sshd.client.keyverifier.ServerKeyVerifier;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntryResolver;
import org.apache.sshd.common.digest.BuiltinDigests;

/**
 * Decides whether the server's host key is the expected one. Verification is mandatory: an endpoint
 * cannot be opened without a {@code knownHosts} text or a {@code hostKeyFingerprint}.
 *
 * <ul>
 *   <li>{@code hostKeyFingerprint} ({@code SHA256:…} as {@code ssh-keygen -lf} prints it): the key
 *       is accepted when its SHA-256 fingerprint is exactly that.
 *   <li>{@code knownHosts} (OpenSSH {@code known_hosts} lines, plain or hashed host names, {@code
 *       [host]:port} for ports other than 22): the key is accepted when a line for this host and
 *       port lists it. A line marked {@code @revoked} that lists it rejects it whatever else says.
 *       {@code @cert-authority} lines are ignored: host certificates are not supported.
 * </ul>
 *
 * When both are given, a key matching either is accepted (the fingerprint is an explicit pin). A
 * rejected key leaves its reason in {@link #lastRejection()} so that the connection can fail with a
 * clear, permanent error instead of the transport's "server key did not validate".
 *
 * <p>Thread-safe; the rejection reason is meaningful while connection attempts are serialized, as
 * {@link SftpConnection} does.
 */
final class HostKeyVerifier implements ServerKeyVerifier {
  private static final String SHA256 = "SHA256:";

  private final SftpLocation location;
  private final List<KnownHostEntry> knownHosts;
  private final String fingerprint;
  private final AtomicReference<String> lastRejection = new AtomicReference<>();

  private HostKeyVerifier(SftpLocation location, List<KnownHostEntry> knownHosts, String pin) {
    this.location = location;
    this.knownHosts = knownHosts;
    this.fingerprint = pin;
  }

  /**
   * Builds the verifier from the credentials' {@code knownHosts} and {@code hostKeyFingerprint}.
   *
   * @throws StorageException {@code permission} (permanent) when neither is given or one is
   *     malformed
   */
  static HostKeyVerifier from(SftpLocation location, String knownHostsText, String fingerprint) {
    boolean hasKnownHosts = knownHostsText != null && !knownHostsText.isBlank();
    boolean hasPin = fingerprint != null && !fingerprint.isBlank();
    if (!hasKnownHosts && !hasPin) {
      throw new StorageException(
          ErrorClass.PERMISSION,
          "opening "
              + location.display()
              + ": host key verification is required, but neither a 'knownHosts' nor a"
              + " 'hostKeyFingerprint' credential was given");
    }
    String pin = hasPin ? normalizeFingerprint(location, fingerprint.strip()) : null;
    List<KnownHostEntry> entries = new ArrayList<>();
    if (hasKnownHosts) {
      int lineNo = 0;
      for (String line : knownHostsText.split("\r?\n")) {
        lineNo++;
        String trimmed = line.strip();
        if (trimmed.isEmpty() || trimmed.startsWith("#")) {
          continue;
        }
        KnownHostEntry entry;
        try {
          entry = KnownHostEntry.parseKnownHostEntry(trimmed);
        } catch (RuntimeException e) {
          entry = null;
        }
        if (entry == null || entry.getKeyEntry() == null) {
          throw new StorageException(
              ErrorClass.PERMISSION,
              "opening "
                  + location.display()
                  + ": line "
                  + lineNo
                  + " of the 'knownHosts' credential is not a known_hosts entry");
        }
        entries.add(entry);
      }
    }
    return new HostKeyVerifier(location, List.copyOf(entries), pin);
  }

  private static String normalizeFingerprint(SftpLocation location, String given) {
    String value = given;
    if (value.regionMatches(true, 0, SHA256, 0, SHA256.length())) {
      value = value.substring(SHA256.length());
    } else if (value.contains(":")) {
      throw new StorageException(
          ErrorClass.PERMISSION,
          "opening "
              + location.display()
              + ": 'hostKeyFingerprint' must be a SHA256 fingerprint (SHA256:…), as ssh-keygen -lf"
              + " prints it");
    }
    while (value.endsWith("=")) {
      value = value.substring(0, value.length() - 1);
    }
    return SHA256 + value;
  }

  /**
   * The key types ({@code ssh-ed25519}, {@code ssh-rsa}, …) that knownHosts lists for this host, so
   * that the client can ask for one of those, as OpenSSH does. A server with several host keys
   * would otherwise present the client's favourite type, which knownHosts may not list.
   */
  Set<String> knownKeyTypes() {
    Set<String> types = new LinkedHashSet<>();
    for (KnownHostEntry entry : knownHosts) {
      if (entry.getMarker() == null && entry.isHostMatch(location.host(), location.port())) {
        PublicKey key = resolve(entry);
        if (key != null) {
          types.add(KeyUtils.getKeyType(key));
        }
      }
    }
    return types;
  }

  /** The reason the last key was rejected, or null when the last verification passed. */
  String lastRejection() {
    return lastRejection.get();
  }

  /** Forgets the previous rejection, before a new connection attempt. */
  void reset() {
    lastRejection.set(null);
  }

  @Override
  public boolean verifyServerKey(ClientSession session, SocketAddress remote, PublicKey key) {
    String reason = check(key);
    lastRejection.set(reason);
    return reason == null;
  }

  /** Null when {@code key} is trusted for this endpoint's host, else why not. */
  String check(PublicKey key) {
    String presented = KeyUtils.getFingerPrint(BuiltinDigests.sha256, key);
    String shown = KeyUtils.getKeyType(key) + " key " + presented;
    List<String> otherKeys = new ArrayList<>();
    boolean listed = false;
    for (KnownHostEntry entry : knownHosts) {
      if (!entry.isHostMatch(location.host(), location.port())) {
        continue;
      }
      String marker = entry.getMarker() == null ? "" : entry.getMarker().toLowerCase(Locale.ROOT);
      if (marker.equals("cert-authority")) {
        continue;
      }
      PublicKey known = resolve(entry);
      boolean same = known != null && KeyUtils.compareKeys(known, key);
      if (marker.equals("revoked")) {
        if (same) {
          return "the host key of "
              + location.hostAndPort()
              + " ("
              + shown
              + ") is marked @revoked in knownHosts; refusing to connect";
        }
        continue;
      }
      if (same) {
        listed = true;
      } else if (known != null) {
        otherKeys.add(
            KeyUtils.getKeyType(known)
                + " "
                + KeyUtils.getFingerPrint(BuiltinDigests.sha256, known));
      }
    }
    if (fingerprint != null && presented.equals(fingerprint)) {
      return null;
    }
    if (listed) {
      return null;
    }
    if (!otherKeys.isEmpty()) {
      return "HOST KEY MISMATCH for "
          + location.hostAndPort()
          + ": the server presented "
          + shown
          + ", but knownHosts lists "
          + String.join(", ", otherKeys)
          + " for it. Someone may be intercepting the connection, or the server's key was"
          + " changed; refusing to connect";
    }
    if (fingerprint != null) {
      return "HOST KEY MISMATCH for "
          + location.hostAndPort()
          + ": the server presented "
          + shown
          + ", but hostKeyFingerprint is "
          + fingerprint
          + "; refusing to connect";
    }
    return "unknown host key for "
        + location.hostAndPort()
        + ": the server presented "
        + shown
        + ", which knownHosts does not list for this host; refusing to connect (check the"
        + " fingerprint out of band, then add the key to knownHosts)";
  }

  private static PublicKey resolve(KnownHostEntry entry) {
    try {
      return entry.getKeyEntry().resolvePublicKey(null, PublicKeyEntryResolver.IGNORING);
    } catch (Exception e) {
      return null; // a key type this JVM cannot read cannot be the presented key either
    }
  }
}

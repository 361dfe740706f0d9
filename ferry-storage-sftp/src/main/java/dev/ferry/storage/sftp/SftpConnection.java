package dev.ferry.storage.sftp;

import dev.ferry.storage.StorageException;
import dev.ferry.storage.StorageException.ErrorClass;
import java.io.IOException;
import java.security.KeyPair;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Set;
import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.auth.keyboard.UserAuthKeyboardInteractiveFactory;
import org.apache.sshd.client.auth.password.UserAuthPasswordFactory;
import org.apache.sshd.client.auth.pubkey.UserAuthPublicKeyFactory;
import org.apache.sshd.client.config.hosts.HostConfigEntryResolver;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.NamedFactory;
import org.apache.sshd.common.SshConstants;
import org.apache.sshd.common.SshException;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.future.CloseFuture;
import org.apache.sshd.common.keyprovider.KeyIdentityProvider;
import org.apache.sshd.common.signature.Signature;
import org.apache.sshd.core.CoreModuleProperties;
import org.apache.sshd.sftp.client.SftpClient;
import org.apache.sshd.sftp.client.SftpClientFactory;
import org.apache.sshd.sftp.client.SftpVersionSelector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One SSH connection of an endpoint and a bounded pool of SFTP channels on it.
 *
 * <p>Each SFTP channel ({@link SftpClient}) is used by one thread at a time: a caller {@link
 * #borrow() borrows} one for an operation, or for the lifetime of a stream or a pending write (its
 * file handles belong to that channel), and {@link #release releases} it. At most {@link
 * SftpEndpoint.Options#maxChannels()} channels exist at once; a borrower waits up to {@link
 * SftpEndpoint.Options#channelWaitTimeout()} for one to come back, then fails with a retryable
 * {@code io} error. (OpenSSH allows 10 channels per connection by default: {@code MaxSessions}.)
 *
 * <p>The SSH session is opened eagerly by {@link #open} (so a wrong password or host key fails
 * there) and re-opened on demand when it was lost; channels of a lost session are discarded.
 * Connection attempts are serialized. Thread-safe.
 */
final class SftpConnection implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SftpConnection.class);
  private static final Duration CLOSE_WAIT = Duration.ofSeconds(2);

  private final SftpLocation location;
  private final SftpEndpoint.Options options;
  private final HostKeyVerifier verifier;
  private final String password;
  private final List<KeyPair> keys;
  private final SshClient client;

  private final Object sessionLock = new Object();
  private ClientSession session; // guarded by sessionLock

  private final Object poolLock = new Object();
  private final Deque<SftpClient> idle = new ArrayDeque<>(); // guarded by poolLock
  private int channels; // idle + borrowed; guarded by poolLock
  private boolean closed; // guarded by poolLock

  private SftpConnection(
      SftpLocation location,
      SftpEndpoint.Options options,
      HostKeyVerifier verifier,
      String password,
      List<KeyPair> keys) {
    this.location = location;
    this.options = options;
    this.verifier = verifier;
    this.password = password;
    this.keys = List.copyOf(keys);
    this.client = SshClient.setUpDefaultClient();
    // nothing from ~/.ssh (config, keys, known_hosts) may change what this endpoint does
    client.setHostConfigEntryResolver(HostConfigEntryResolver.EMPTY);
    client.setKeyIdentityProvider(KeyIdentityProvider.EMPTY_KEYS_PROVIDER);
    client.setServerKeyVerifier(verifier);
    client.setUserAuthFactories(
        List.of(
            UserAuthPublicKeyFactory.INSTANCE,
            UserAuthKeyboardInteractiveFactory.INSTANCE,
            UserAuthPasswordFactory.INSTANCE));
    CoreModuleProperties.NIO_WORKERS.set(client, 2);
    preferKnownHostKeyTypes(client, verifier.knownKeyTypes());
  }

  /** Moves the host key algorithms of {@code types} to the front of the client's proposal. */
  private static void preferKnownHostKeyTypes(SshClient client, Set<String> types) {
    if (types.isEmpty()) {
      return;
    }
    List<NamedFactory<Signature>> preferred = new ArrayList<>();
    List<NamedFactory<Signature>> others = new ArrayList<>();
    for (NamedFactory<Signature> f : client.getSignatureFactories()) {
      (types.contains(KeyUtils.getCanonicalKeyType(f.getName())) ? preferred : others).add(f);
    }
    preferred.addAll(others);
    client.setSignatureFactories(preferred);
  }

  /**
   * Starts the client and opens the session.
   *
   * @throws StorageException {@code permission} (permanent) for a rejected host key or failed
   *     authentication, {@code io} (retryable) when the server cannot be reached
   */
  static SftpConnection open(
      SftpLocation location,
      SftpEndpoint.Options options,
      HostKeyVerifier verifier,
      String password,
      List<KeyPair> keys) {
    SftpConnection connection = new SftpConnection(location, options, verifier, password, keys);
    connection.client.start();
    try {
      connection.session();
      return connection;
    } catch (RuntimeException e) {
      connection.close();
      throw e;
    }
  }

  /** The open, authenticated session; connects when there is none or it was lost. */
  ClientSession session() {
    synchronized (sessionLock) {
      if (session != null && session.isOpen() && session.isAuthenticated()) {
        return session;
      }
      if (session != null) {
        closeQuietly(session);
        log.debug("SFTP session to {} was lost; reconnecting", location.display());
      }
      session = connect();
      return session;
    }
  }

  private ClientSession connect() {
    verifier.reset();
    ClientSession s = null;
    try {
      s =
          client
              .connect(location.user(), location.host(), location.port())
              .verify(options.connectTimeout())
              .getSession();
      if (password != null) {
        s.addPasswordIdentity(password);
      }
      for (KeyPair key : keys) {
        s.addPublicKeyIdentity(key);
      }
      s.auth().verify(options.authTimeout());
      return s;
    } catch (IOException | RuntimeException e) {
      closeQuietly(s);
      throw classifyConnectFailure(e);
    }
  }

  private StorageException classifyConnectFailure(Exception e) {
    String what = "connecting to " + location.display();
    String rejection = verifier.lastRejection();
    if (rejection != null) {
      return new StorageException(ErrorClass.PERMISSION, false, what + ": " + rejection, e);
    }
    if (isAuthFailure(e)) {
      return new StorageException(
          ErrorClass.PERMISSION,
          false,
          what
              + ": authentication failed for user '"
              + location.user()
              + "' with the given "
              + credentialKinds()
              + " (wrong password or key, or the key is not authorized)",
          e);
    }
    String detail = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    return new StorageException(ErrorClass.IO, true, what + ": " + detail, e);
  }

  private static boolean isAuthFailure(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SshException se
          && (se.getDisconnectCode() == SshConstants.SSH2_DISCONNECT_NO_MORE_AUTH_METHODS_AVAILABLE
              || (se.getMessage() != null
                  && se.getMessage().contains("No more authentication methods")))) {
        return true;
      }
    }
    return false;
  }

  private String credentialKinds() {
    if (password != null && !keys.isEmpty()) {
      return "private key and password";
    }
    return password != null ? "password" : "private key";
  }

  /**
   * An SFTP channel for the caller's exclusive use until {@link #release}.
   *
   * @throws StorageException {@code io} (retryable) when none is free in time or the connection
   *     fails; {@code permission} when re-authentication fails
   */
  SftpClient borrow() {
    long deadline = System.nanoTime() + options.channelWaitTimeout().toNanos();
    synchronized (poolLock) {
      while (true) {
        if (closed) {
          throw new StorageException(
              ErrorClass.IO, false, "endpoint " + location.display() + " is closed", null);
        }
        SftpClient c = idle.pollFirst();
        if (c != null) {
          if (c.isOpen() && !c.isClosing()) {
            return c;
          }
          channels--;
          closeQuietly(c);
          continue;
        }
        if (channels < options.maxChannels()) {
          channels++;
          break;
        }
        long waitNanos = deadline - System.nanoTime();
        if (waitNanos <= 0) {
          throw new StorageException(
              ErrorClass.IO,
              "all "
                  + options.maxChannels()
                  + " SFTP channels of "
                  + location.display()
                  + " stayed busy for "
                  + options.channelWaitTimeout());
        }
        try {
          poolLock.wait(Math.max(1, waitNanos / 1_000_000));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new StorageException(
              ErrorClass.IO, "interrupted waiting for an SFTP channel of " + location.display(), e);
        }
      }
    }
    try {
      return newChannel();
    } catch (RuntimeException e) {
      synchronized (poolLock) {
        channels--;
        poolLock.notifyAll();
      }
      throw e;
    }
  }

  private SftpClient newChannel() {
    IOException first = null;
    for (int attempt = 0; attempt < 2; attempt++) {
      ClientSession s = session();
      try {
        // version 3 is what OpenSSH speaks; fixing it keeps behaviour alike on every server
        return SftpClientFactory.instance()
            .createSftpClient(s, SftpVersionSelector.fixedVersionSelector(3));
      } catch (IOException e) {
        if (s.isOpen()) {
          first = e;
          break;
        }
        first = e; // the session died under us: reconnect once
      }
    }
    String detail =
        first.getMessage() == null ? first.getClass().getSimpleName() : first.getMessage();
    throw new StorageException(
        ErrorClass.IO, "opening an SFTP channel to " + location.display() + ": " + detail, first);
  }

  /**
   * Gives a borrowed channel back. A channel that failed mid-operation, or whose state is unknown
   * (an aborted write), is passed with {@code reusable} false and closed instead.
   */
  void release(SftpClient c, boolean reusable) {
    boolean keep;
    synchronized (poolLock) {
      keep = reusable && !closed && c.isOpen() && !c.isClosing();
      if (keep) {
        idle.addFirst(c);
      } else {
        channels--;
      }
      poolLock.notifyAll();
    }
    if (!keep) {
      closeQuietly(c);
    }
  }

  /**
   * Closes the session (and with it every channel, borrowed or idle) and stops the client.
   * Idempotent; streams and writes still open fail on their next request.
   */
  @Override
  public void close() {
    List<SftpClient> toClose;
    synchronized (poolLock) {
      if (closed) {
        return;
      }
      closed = true;
      toClose = List.copyOf(idle);
      idle.clear();
      poolLock.notifyAll();
    }
    // channels first, each waited for, so that the session's own close finds none left open
    List<CloseFuture> closing = new ArrayList<>();
    for (SftpClient c : toClose) {
      closing.add(c.getClientChannel().close(false));
    }
    for (CloseFuture f : closing) {
      try {
        f.await(CLOSE_WAIT);
      } catch (IOException e) {
        log.debug("closing an SFTP channel to {} failed", location.display(), e);
      }
    }
    synchronized (sessionLock) {
      if (session != null) {
        try {
          session.close(false).await(CLOSE_WAIT);
        } catch (IOException e) {
          log.debug("closing the SFTP session to {} failed", location.display(), e);
        }
        session = null;
      }
    }
    try {
      client.stop();
    } catch (RuntimeException e) {
      log.debug("stopping the SSH client of {} failed", location.display(), e);
    }
  }

  SftpLocation location() {
    return location;
  }

  static void closeQuietly(AutoCloseable c) {
    if (c != null) {
      try {
        c.close();
      } catch (Exception e) {
        log.debug("closing {} failed", c, e);
      }
    }
  }
}

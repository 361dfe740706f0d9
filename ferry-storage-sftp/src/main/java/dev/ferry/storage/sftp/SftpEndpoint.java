package dev.ferry.storage.sftp;

import dev.ferry.storage.InvalidPathException;
import dev.ferry.storage.ListPage;
import dev.ferry.storage.MultipartResume;
import dev.ferry.storage.PendingWrite;
import dev.ferry.storage.RelativePath;
import dev.ferry.storage.StorageEndpoint;
import dev.ferry.storage.StorageEntry;
import dev.ferry.storage.StorageException;
import dev.ferry.storage.StorageException.ErrorClass;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.apache.sshd.common.NamedResource;
import org.apache.sshd.common.config.keys.FilePasswordProvider;
import org.apache.sshd.common.util.security.SecurityUtils;
import org.apache.sshd.sftp.client.SftpClient;
import org.apache.sshd.sftp.client.SftpClient.Attributes;
import org.apache.sshd.sftp.client.SftpClient.CloseableHandle;
import org.apache.sshd.sftp.client.SftpClient.DirEntry;
import org.apache.sshd.sftp.client.SftpClient.OpenMode;
import org.apache.sshd.sftp.client.extensions.openssh.OpenSSHFsyncExtension;
import org.apache.sshd.sftp.client.extensions.openssh.OpenSSHPosixRenameExtension;
import org.apache.sshd.sftp.client.impl.AbstractSftpClient;
import org.apache.sshd.sftp.client.impl.SftpInputStreamAsync;
import org.apache.sshd.sftp.common.SftpConstants;
import org.apache.sshd.sftp.common.SftpException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An endpoint on a directory of an SFTP server, {@code sftp://user@host:port/base/path} (port 22 by
 * default; a base of {@code /~/dir} is relative to the login directory), through Apache MINA SSHD.
 *
 * <p><b>Credentials</b> (the map given to {@link #open}; never logged, never part of {@link
 * #uri()}, {@link #toString()} or an exception message):
 *
 * <ul>
 *   <li>{@value #PASSWORD}, and/or {@value #PRIVATE_KEY} (OpenSSH or PEM private key text) with
 *       {@value #PASSPHRASE} when the key is encrypted;
 *   <li>{@value #KNOWN_HOSTS} (OpenSSH {@code known_hosts} text) and/or {@value
 *       #HOST_KEY_FINGERPRINT} ({@code SHA256:…} as {@code ssh-keygen -lf} prints it). One of them
 *       is required. The host key is trusted when its SHA-256 fingerprint is the pinned one, or
 *       when a knownHosts line for this host ({@code [host]:port} unless the port is 22; hashed
 *       names work) lists it; a matching {@code @revoked} line refuses it whatever else says, and
 *       {@code @cert-authority} lines are ignored. The client asks first for the key types that
 *       knownHosts lists. An unknown or mismatched host key is refused with a permanent {@code
 *       permission} error that says which and shows the presented fingerprint.
 * </ul>
 *
 * Unknown keys are rejected, so that a misspelt credential does not pass unnoticed.
 *
 * <p><b>Connection.</b> {@link #open} connects and authenticates at once, so a wrong password or
 * host key fails there. One SSH connection per endpoint carries a small pool of SFTP channels (at
 * most {@link Options#maxChannels()}); an operation borrows one, and a stream or pending write
 * keeps one until it is closed. A lost connection is re-opened by the next operation. The protocol
 * is SFTP version 3, as OpenSSH speaks it, with file names in UTF-8.
 *
 * <p><b>Confinement.</b> Paths are validated by {@link RelativePath} before any I/O. The base
 * directory is resolved once, at open, to its real path, and must exist. Every path is then
 * resolved to a server path free of symbolic links, which must lie below the real base; otherwise
 * the operation fails with {@link InvalidPathException}. The server's {@code realpath} is not
 * trusted for this (MINA SSHD's does not resolve links): links are found with {@code lstat} and
 * read with {@code readlink}, up to 40 of them per path; when a path has none, that costs one
 * pipelined round trip. Reads use the resolved file; writes create missing directories one at a
 * time and check each; the listing skips linked files that lead outside and does not descend into
 * linked directories; {@code delete} removes a link itself, never its target. What this cannot
 * guarantee: resolution and use are separate requests, so another client of the server that swaps a
 * directory for a link in between is not defended against; a server whose {@code lstat} follows
 * links hides them and defeats the check; a server-side chroot or bind mount is invisible to it, as
 * it is meant to be.
 *
 * <p><b>Atomic publish.</b> A write goes to {@code .ferry-tmp-<uuid>-<name>} in the destination
 * directory (created exclusively, pipelined writes). {@link PendingWrite#commit()} waits for every
 * acknowledgement, asks the server to {@code fsync} ({@code fsync@openssh.com}, when offered),
 * closes the handle and renames the temporary file over the final name with {@code
 * posix-rename@openssh.com}, which replaces an existing file atomically. A server without that
 * extension gets a plain SFTP rename, and when the final name exists, a delete then a rename: not
 * atomic (a reader may briefly see no file, never a partial one). Temporary files are never listed.
 *
 * <p><b>Resumable writes</b> ({@link MultipartResume}). The kept temporary file is the durable
 * prefix: {@link ResumableWrite#sync()} waits for the server's acknowledgement of every byte and
 * asks it to fsync; {@link ResumableWrite#detach()} closes the write's channel and keeps the file;
 * {@link ResumableWrite#readBack(long, long)} reads ranges of it while writing goes on; {@link
 * ResumableWrite#rewindTo} truncates it. {@link #resume} takes the file over by renaming it, so
 * that only one attempt resumes a token and a stale writer fails at commit. The token holds the
 * target and the temporary file's name, relative to the base. Kept files that no attempt resumes
 * stay until someone removes them (they are never listed).
 *
 * <p><b>Errors</b> are {@link StorageException}s naming the operation, the path and {@link #uri()}:
 * no such file → {@code not-found}; permission denied → {@code permission}; failed authentication
 * or a refused host key → {@code permission}, not retryable; a lost connection, a timeout or any
 * other I/O failure → {@code io}, retryable.
 *
 * <p>Thread-safe. {@link #close()} closes the connection; streams and writes still open fail.
 */
public final class SftpEndpoint implements StorageEndpoint, MultipartResume {
  /** Credential: the login password. */
  public static final String PASSWORD = "password";

  /** Credential: a private key, OpenSSH ({@code BEGIN OPENSSH PRIVATE KEY}) or PEM text. */
  public static final String PRIVATE_KEY = "privateKey";

  /** Credential: the passphrase of an encrypted {@value #PRIVATE_KEY}. */
  public static final String PASSPHRASE = "passphrase";

  /** Credential: OpenSSH {@code known_hosts} lines that list the server's host key. */
  public static final String KNOWN_HOSTS = "knownHosts";

  /** Credential: the server's host key fingerprint, {@code SHA256:…}. */
  public static final String HOST_KEY_FINGERPRINT = "hostKeyFingerprint";

  /** Prefix of temporary files; such names are skipped by listings. */
  public static final String TEMP_PREFIX = ".ferry-tmp-";

  private static final Set<String> CREDENTIAL_KEYS =
      Set.of(PASSWORD, PRIVATE_KEY, PASSPHRASE, KNOWN_HOSTS, HOST_KEY_FINGERPRINT);
  private static final int MAX_NAME_BYTES = 255;
  private static final String TOKEN_PREFIX = "ferry-sftp-resume:1:";
  private static final Logger log = LoggerFactory.getLogger(SftpEndpoint.class);

  /**
   * Connection settings, validated on construction.
   *
   * @param connectTimeout TCP connect and SSH key exchange
   * @param authTimeout user authentication
   * @param maxChannels SFTP channels open at once on the endpoint's connection (OpenSSH's default
   *     {@code MaxSessions} is 10)
   * @param channelWaitTimeout how long a caller waits for a busy pool before failing (retryable)
   */
  public record Options(
      Duration connectTimeout, Duration authTimeout, int maxChannels, Duration channelWaitTimeout) {
    /** 15 s to connect, 30 s to authenticate, 8 channels, 60 s of waiting for one. */
    public static final Options DEFAULTS =
        new Options(Duration.ofSeconds(15), Duration.ofSeconds(30), 8, Duration.ofSeconds(60));

    public Options {
      requirePositive(connectTimeout, "connectTimeout");
      requirePositive(authTimeout, "authTimeout");
      requirePositive(channelWaitTimeout, "channelWaitTimeout");
      if (maxChannels < 1) {
        throw new IllegalArgumentException("maxChannels must be at least 1, got " + maxChannels);
      }
    }

    private static void requirePositive(Duration d, String name) {
      Objects.requireNonNull(d, name);
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(name + " must be positive, got " + d);
      }
    }
  }

  private final SftpConnection connection;
  private final String uri;
  private final String base;
  private final Confinement confinement;

  private SftpEndpoint(SftpConnection connection, String base) {
    this.connection = connection;
    this.uri = connection.location().display();
    this.base = base;
    this.confinement = new Confinement(base, uri);
  }

  /** Opens {@code uri} with {@code credentials} and {@link Options#DEFAULTS}; see {@link #open}. */
  public static SftpEndpoint open(URI uri, Map<String, String> credentials) {
    return open(uri, credentials, Options.DEFAULTS);
  }

  /**
   * Connects, authenticates, verifies the host key and resolves the base directory.
   *
   * @throws StorageException {@code unsupported} for a malformed URI or unknown credential key;
   *     {@code permission} (permanent) for missing host key settings, a refused host key, an
   *     unreadable private key or failed authentication; {@code not-found} when the base directory
   *     does not exist; {@code io} (retryable) when the server cannot be reached
   */
  public static SftpEndpoint open(URI uri, Map<String, String> credentials, Options options) {
    Objects.requireNonNull(options, "options");
    SftpLocation location = SftpLocation.parse(uri);
    Map<String, String> creds = credentials == null ? Map.of() : credentials;
    for (String key : creds.keySet()) {
      if (!CREDENTIAL_KEYS.contains(key)) {
        throw new StorageException(
            ErrorClass.UNSUPPORTED,
            "opening "
                + location.display()
                + ": unknown credential '"
                + key
                + "' (known: "
                + String.join(", ", CREDENTIAL_KEYS.stream().sorted().toList())
                + ")");
      }
    }
    String password = blankToNull(creds.get(PASSWORD));
    List<KeyPair> keys = loadKeys(location, creds.get(PRIVATE_KEY), creds.get(PASSPHRASE));
    if (password == null && keys.isEmpty()) {
      throw new StorageException(
          ErrorClass.PERMISSION,
          "opening "
              + location.display()
              + ": no '"
              + PASSWORD
              + "' or '"
              + PRIVATE_KEY
              + "' credential to authenticate with");
    }
    HostKeyVerifier verifier =
        HostKeyVerifier.from(location, creds.get(KNOWN_HOSTS), creds.get(HOST_KEY_FINGERPRINT));
    SftpConnection connection = SftpConnection.open(location, options, verifier, password, keys);
    try {
      return new SftpEndpoint(connection, resolveBase(connection));
    } catch (RuntimeException e) {
      connection.close();
      throw e;
    }
  }

  private static String resolveBase(SftpConnection connection) {
    SftpLocation location = connection.location();
    String what = "resolving the base directory of " + location.display();
    SftpClient c = connection.borrow();
    boolean reusable = true;
    try {
      String path = location.basePath();
      if (location.homeRelative()) {
        String home = c.canonicalPath(".");
        path =
            location.homeRelativePath().equals(".")
                ? home
                : child(home, location.homeRelativePath());
      }
      // realpath normalizes; links are resolved here, since not every server's realpath does
      String real = Confinement.resolveAbsolute(c, c.canonicalPath(path));
      Attributes attrs = real == null ? null : lstatOrNull(c, real);
      if (attrs == null || !attrs.isDirectory()) {
        throw new StorageException(
            ErrorClass.NOT_FOUND,
            "base directory of " + location.display() + " does not exist or is not a directory");
      }
      return real;
    } catch (IOException e) {
      reusable = !connectionLost(e);
      throw classify(what, e);
    } finally {
      connection.release(c, reusable);
    }
  }

  private static List<KeyPair> loadKeys(SftpLocation location, String text, String passphrase) {
    if (text == null || text.isBlank()) {
      return List.of();
    }
    String pass = blankToNull(passphrase);
    List<KeyPair> keys = new ArrayList<>();
    Exception failure = null;
    try (InputStream in = new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8))) {
      Iterable<KeyPair> loaded =
          SecurityUtils.loadKeyPairIdentities(
              null,
              NamedResource.ofName(PRIVATE_KEY + " credential"),
              in,
              pass == null ? null : FilePasswordProvider.of(pass));
      if (loaded != null) {
        loaded.forEach(keys::add);
      }
    } catch (IOException | GeneralSecurityException | RuntimeException e) {
      failure = e;
    }
    if (failure != null || keys.isEmpty()) {
      throw new StorageException(
          ErrorClass.PERMISSION,
          false,
          "opening "
              + location.display()
              + ": the '"
              + PRIVATE_KEY
              + "' credential cannot be read"
              + (pass == null
                  ? " (not a supported private key, or encrypted and no '" + PASSPHRASE + "' given)"
                  : " (not a supported private key, or a wrong '" + PASSPHRASE + "')"),
          failure);
    }
    return List.copyOf(keys);
  }

  /** The base directory's real path on the server. */
  public String basePath() {
    return base;
  }

  /**
   * Whether the server offers {@code posix-rename@openssh.com}, so that {@link
   * PendingWrite#commit()} replaces an existing file atomically (otherwise: delete, then rename).
   */
  public boolean atomicReplace() {
    return withChannel(
        "asking " + uri + " for its SFTP extensions", SftpEndpoint::offersPosixRename);
  }

  private static boolean offersPosixRename(SftpClient c) {
    OpenSSHPosixRenameExtension posix = c.getExtension(OpenSSHPosixRenameExtension.class);
    return posix != null && posix.isSupported();
  }

  /** The connection, for tests in this package. */
  SftpConnection connection() {
    return connection;
  }

  @Override
  public String uri() {
    return uri;
  }

  @Override
  public String toString() {
    return "SftpEndpoint[" + uri + "]";
  }

  // --- reads -----------------------------------------------------------------------------------

  @Override
  public ListPage list(String prefix, String pageToken, int pageSize) {
    if (pageSize < 1) {
      throw new IllegalArgumentException("page size must be at least 1, got " + pageSize);
    }
    RelativePath start = prefix == null || prefix.isEmpty() ? null : RelativePath.of(prefix);
    String what = "listing " + (start == null ? uri : describe(start));
    return withChannel(
        what,
        c -> {
          List<StorageEntry> out = new ArrayList<>();
          int limit = pageSize + 1;
          if (start == null) {
            walk(c, base, "", pageToken, out, limit);
            return page(out, pageSize);
          }
          Confinement.Walk found = confinement.walk(c, start);
          if (!found.complete()) {
            return new ListPage(List.of(), null);
          }
          Attributes attrs = found.attrs();
          if (attrs.isDirectory()) {
            walk(c, found.real(), start.value() + "/", pageToken, out, limit);
          } else if (attrs.isRegularFile()
              && !isTemp(start.name())
              && (pageToken == null || start.value().compareTo(pageToken) > 0)) {
            out.add(entry(start.value(), attrs));
          }
          return page(out, pageSize);
        });
  }

  private static ListPage page(List<StorageEntry> collected, int pageSize) {
    if (collected.size() <= pageSize) {
      return new ListPage(collected, null);
    }
    List<StorageEntry> entries = collected.subList(0, pageSize);
    return new ListPage(entries, entries.get(pageSize - 1).path());
  }

  /** A child of a directory being walked, with the key that sorts it in full-path order. */
  private record Child(String remote, String key, boolean directory, Attributes attrs) {}

  /**
   * Depth-first walk in ascending order of full path, as {@code LocalFileSystemEndpoint} does: a
   * directory sorts by {@code name + "/"}, and subtrees that sort wholly before the page token are
   * not read. Linked files are resolved and kept when they stay below the base; linked directories
   * are not descended into.
   */
  private void walk(
      SftpClient c, String dir, String relDir, String token, List<StorageEntry> out, int limit)
      throws IOException {
    List<Child> children = new ArrayList<>();
    List<DirEntry> entries;
    try {
      entries = new ArrayList<>(c.readEntries(dir));
    } catch (SftpException e) {
      if (isMissing(e)) {
        return; // removed meanwhile
      }
      throw e;
    }
    for (DirEntry e : entries) {
      String name = e.getFilename();
      if (name.equals(".") || name.equals("..") || isTemp(name) || name.indexOf('/') >= 0) {
        continue;
      }
      String remote = child(dir, name);
      Attributes attrs = e.getAttributes();
      if (attrs.isSymbolicLink()) {
        attrs = confinement.linkTargetOrNull(c, remote, dir);
        if (attrs == null || !attrs.isRegularFile()) {
          continue; // dangling, leading outside the base, or a linked directory
        }
      }
      if (attrs.isDirectory()) {
        children.add(new Child(remote, name + "/", true, attrs));
      } else if (attrs.isRegularFile()) {
        children.add(new Child(remote, name, false, attrs));
      }
    }
    children.sort(Comparator.comparing(Child::key));
    for (Child child : children) {
      String full = relDir + child.key();
      if (child.directory()) {
        if (token != null && !token.startsWith(full) && full.compareTo(token) < 0) {
          continue; // every path below sorts before the token
        }
        walk(c, child.remote(), full, token, out, limit);
      } else if (token == null || full.compareTo(token) > 0) {
        out.add(entry(full, child.attrs()));
      }
      if (out.size() >= limit) {
        return;
      }
    }
  }

  @Override
  public Optional<StorageEntry> stat(String path) {
    RelativePath rel = RelativePath.of(path);
    return withChannel(
        "stat " + describe(rel),
        c -> {
          Confinement.Walk found = confinement.walk(c, rel);
          if (!found.complete() || !found.attrs().isRegularFile()) {
            return Optional.empty();
          }
          return Optional.of(entry(rel.value(), found.attrs()));
        });
  }

  @Override
  public InputStream openRange(String path, long offset, long length) {
    if (offset < 0 || length < 0) {
      throw new IllegalArgumentException(
          "negative offset " + offset + " or length " + length + " for " + path);
    }
    RelativePath rel = RelativePath.of(path);
    String what = "opening " + describe(rel);
    SftpClient c = connection.borrow();
    boolean owned = false;
    boolean reusable = true;
    try {
      Confinement.Walk found = confinement.walk(c, rel);
      if (!found.complete()) {
        throw new StorageException(ErrorClass.NOT_FOUND, what + ": not found");
      }
      String real = found.real();
      Attributes attrs = found.attrs();
      if (attrs.isDirectory()) {
        throw new StorageException(ErrorClass.CONFLICT, describe(rel) + " is a directory");
      }
      if (length == 0 || offset >= attrs.getSize()) {
        return InputStream.nullInputStream();
      }
      InputStream in = openStream(c, real, offset, length, attrs.getSize(), what);
      owned = true;
      return in;
    } catch (IOException e) {
      reusable = !connectionLost(e);
      throw classify(what, e);
    } finally {
      if (!owned) {
        connection.release(c, reusable);
      }
    }
  }

  /**
   * A read-ahead stream over {@code [offset, offset + length)} of {@code real}; takes ownership of
   * the borrowed channel {@code c} and releases it when the stream is closed.
   */
  private InputStream openStream(
      SftpClient c, String real, long offset, long length, long size, String what)
      throws IOException {
    CloseableHandle handle = c.open(real, OpenMode.Read);
    long end = length > size - offset ? size : offset + length;
    // the size bounds the read-ahead: requests stop one buffer past the end of the range
    SftpInputStreamAsync in =
        new SftpInputStreamAsync(
            (AbstractSftpClient) c, PipelinedWriter.CHUNK, offset, end, real, handle);
    return new ChannelInputStream(in, length, c, what, true);
  }

  /**
   * Like {@link #openStream}, on a channel the caller keeps: closing the stream does not release
   * it.
   */
  private InputStream openStreamOnOwnChannel(
      SftpClient c, String real, long offset, long length, long size, String what)
      throws IOException {
    CloseableHandle handle = c.open(real, OpenMode.Read);
    long end = length > size - offset ? size : offset + length;
    SftpInputStreamAsync in =
        new SftpInputStreamAsync(
            (AbstractSftpClient) c, PipelinedWriter.CHUNK, offset, end, real, handle);
    return new ChannelInputStream(in, length, c, what, false);
  }

  /** Reads at most {@code limit} bytes; closing closes the SFTP stream and releases the channel. */
  private final class ChannelInputStream extends InputStream {
    private final SftpInputStreamAsync in;
    private final SftpClient channel;
    private final String what;
    private long remaining;
    private boolean closed;
    private boolean failed;

    private final boolean release;

    ChannelInputStream(
        SftpInputStreamAsync in, long limit, SftpClient channel, String what, boolean release) {
      this.in = in;
      this.remaining = limit;
      this.channel = channel;
      this.what = what;
      this.release = release;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n = read(one, 0, 1);
      return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      Objects.checkFromIndexSize(off, len, b.length);
      if (closed) {
        throw new IOException(what + ": stream is closed");
      }
      if (len == 0) {
        return 0;
      }
      if (remaining <= 0) {
        return -1;
      }
      try {
        int n = in.read(b, off, (int) Math.min(len, remaining));
        if (n > 0) {
          remaining -= n;
        }
        return n;
      } catch (IOException e) {
        failed = true;
        throw new IOException(what + ": " + e.getMessage(), e);
      }
    }

    @Override
    public void close() throws IOException {
      if (closed) {
        return;
      }
      closed = true;
      boolean reusable = !failed;
      try {
        in.close();
      } catch (IOException e) {
        reusable = false;
        throw new IOException(what + ": closing: " + e.getMessage(), e);
      } finally {
        if (release) {
          connection.release(channel, reusable);
        }
      }
    }
  }

  // --- writes ----------------------------------------------------------------------------------

  @Override
  public PendingWrite beginWrite(String path) {
    RelativePath rel = RelativePath.of(path);
    return create(rel, (c, temp, target, handle) -> new SftpWrite(c, rel, temp, target, handle, 0));
  }

  /**
   * {@inheritDoc}
   *
   * <p>A write whose temporary file is kept by {@link ResumableWrite#detach()}; the part size only
   * has to be positive, since a file can be synced at any length.
   */
  @Override
  public ResumableWrite beginResumableWrite(String path, long partSize) {
    if (partSize < 1) {
      throw new IllegalArgumentException("part size must be positive, got " + partSize);
    }
    RelativePath rel = RelativePath.of(path);
    return create(
        rel, (c, temp, target, handle) -> new SftpResumableWrite(c, rel, temp, target, handle, 0));
  }

  @FunctionalInterface
  private interface WriteFactory<W> {
    W create(SftpClient c, String temp, String target, CloseableHandle handle);
  }

  /** Creates the parent directories and an exclusive temporary file beside the target. */
  private <W> W create(RelativePath rel, WriteFactory<W> factory) {
    String what = "creating a temporary file for " + describe(rel);
    SftpClient c = connection.borrow();
    boolean owned = false;
    boolean reusable = true;
    try {
      String dir = confinement.parentForWrite(c, rel);
      String target = child(dir, rel.name());
      Attributes existing = lstatOrNull(c, target);
      if (existing != null && existing.isDirectory()) {
        throw new StorageException(ErrorClass.CONFLICT, describe(rel) + " is a directory");
      }
      String temp = child(dir, tempName(UUID.randomUUID(), rel.name()));
      CloseableHandle handle =
          c.open(temp, EnumSet.of(OpenMode.Write, OpenMode.Create, OpenMode.Exclusive));
      W write = factory.create(c, temp, target, handle);
      owned = true;
      return write;
    } catch (IOException e) {
      reusable = !connectionLost(e);
      throw classify(what, e);
    } finally {
      if (!owned) {
        connection.release(c, reusable);
      }
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>The token names the target and the temporary file's name, both relative; both are validated
   * like any path of this endpoint, so a forged token cannot reach outside the base nor name
   * anything but a regular {@value #TEMP_PREFIX} file beside the target. Resuming takes the file
   * over: it is renamed to a fresh temporary name (the rename is atomic on the server, so of two
   * attempts resuming one token only one succeeds), and a stale writer still holding the old name
   * fails at commit instead of publishing. Writing continues at the file's size, which is {@link
   * ResumableWrite#durableBytes()}.
   */
  @Override
  public Optional<ResumableWrite> resume(String resumeToken) {
    String[] token = decodeToken(resumeToken);
    RelativePath rel = RelativePath.of(token[0]);
    String tempName = token[1];
    if (isTemp(rel.name())) {
      throw new InvalidPathException(rel.value(), "resume token targets a temporary file");
    }
    if (!isTemp(tempName)
        || tempName.indexOf('/') >= 0
        || !RelativePath.isValid(tempName)
        || !RelativePath.of(tempName).value().equals(tempName)) {
      throw new InvalidPathException(
          rel.value(), "resume token names '" + tempName + "', which is not a temporary file name");
    }
    String what = "resuming the write of " + describe(rel);
    SftpClient c = connection.borrow();
    boolean owned = false;
    boolean reusable = true;
    try {
      Confinement.Walk parent = confinement.walkParent(c, rel);
      if (!parent.complete() || !parent.isDirectory()) {
        return Optional.empty();
      }
      String dir = parent.real();
      String temp = child(dir, tempName);
      Attributes attrs = lstatOrNull(c, temp);
      if (attrs == null) {
        return Optional.empty();
      }
      if (!attrs.isRegularFile()) {
        throw new InvalidPathException(
            rel.value(), "resume token names '" + tempName + "', which is not a regular file");
      }
      String taken = child(dir, tempName(UUID.randomUUID(), rel.name()));
      try {
        c.rename(temp, taken); // never replaces: the fresh name does not exist
      } catch (SftpException e) {
        if (isMissing(e)) {
          return Optional.empty(); // committed, aborted or taken over meanwhile
        }
        throw e;
      }
      CloseableHandle handle = c.open(taken, OpenMode.Write);
      long size = c.stat(handle).getSize();
      ResumableWrite write =
          new SftpResumableWrite(c, rel, taken, child(dir, rel.name()), handle, size);
      owned = true;
      return Optional.of(write);
    } catch (IOException e) {
      reusable = !connectionLost(e);
      throw classify(what, e);
    } finally {
      if (!owned) {
        connection.release(c, reusable);
      }
    }
  }

  /** {@code ferry-sftp-resume:1:<base64url(target)>:<base64url(temporary name)>}. */
  private static String encodeToken(RelativePath target, String tempName) {
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    return TOKEN_PREFIX
        + b64.encodeToString(target.value().getBytes(StandardCharsets.UTF_8))
        + ":"
        + b64.encodeToString(tempName.getBytes(StandardCharsets.UTF_8));
  }

  /** The target and the temporary name, not yet validated. */
  private static String[] decodeToken(String token) {
    if (token == null || !token.startsWith(TOKEN_PREFIX)) {
      throw new IllegalArgumentException("not an SFTP endpoint resume token: " + abbreviate(token));
    }
    String[] parts = token.substring(TOKEN_PREFIX.length()).split(":", -1);
    if (parts.length != 2) {
      throw new IllegalArgumentException(
          "malformed SFTP endpoint resume token: " + abbreviate(token));
    }
    try {
      Base64.Decoder b64 = Base64.getUrlDecoder();
      return new String[] {
        new String(b64.decode(parts[0]), StandardCharsets.UTF_8),
        new String(b64.decode(parts[1]), StandardCharsets.UTF_8)
      };
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "malformed SFTP endpoint resume token: " + abbreviate(token), e);
    }
  }

  private static String abbreviate(String token) {
    if (token == null) {
      return "null";
    }
    return token.length() <= 80 ? "'" + token + "'" : "'" + token.substring(0, 80) + "…'";
  }

  @Override
  public boolean delete(String path) {
    RelativePath rel = RelativePath.of(path);
    return withChannel(
        "deleting " + describe(rel),
        c -> {
          Confinement.Walk parent = confinement.walkParent(c, rel);
          if (!parent.complete() || !parent.isDirectory()) {
            return false;
          }
          String target = child(parent.real(), rel.name());
          Attributes attrs = lstatOrNull(c, target);
          if (attrs == null) {
            return false;
          }
          if (attrs.isDirectory()) {
            throw new StorageException(
                ErrorClass.CONFLICT, describe(rel) + " is a directory, not deleted");
          }
          try {
            // removes a link itself, never what it points to
            c.remove(target);
            return true;
          } catch (SftpException e) {
            if (isMissing(e)) {
              return false;
            }
            throw e;
          }
        });
  }

  @Override
  public void close() {
    connection.close();
  }

  private static String child(String dir, String name) {
    return Confinement.child(dir, name);
  }

  // --- helpers ---------------------------------------------------------------------------------

  @FunctionalInterface
  private interface ChannelOperation<T> {
    T apply(SftpClient c) throws IOException;
  }

  /** Runs {@code op} on a borrowed channel; classifies its I/O failure as {@code what}. */
  private <T> T withChannel(String what, ChannelOperation<T> op) {
    SftpClient c = connection.borrow();
    boolean reusable = true;
    try {
      return op.apply(c);
    } catch (IOException e) {
      reusable = !connectionLost(e);
      throw classify(what, e);
    } finally {
      connection.release(c, reusable);
    }
  }

  private String describe(RelativePath rel) {
    return "'" + rel.value() + "' at " + uri;
  }

  private static Attributes lstatOrNull(SftpClient c, String remote) throws IOException {
    return Confinement.lstatOrNull(c, remote);
  }

  private static boolean isMissing(SftpException e) {
    return Confinement.isMissing(e);
  }

  /** True when the channel can no longer be trusted: anything but an SFTP status answer. */
  private static boolean connectionLost(IOException e) {
    return !(e instanceof SftpException);
  }

  /**
   * Classifies a failure of the operation {@code what}: an SFTP status by its code, anything else
   * (lost connection, timeout, closed channel) as retryable {@code io}.
   */
  static StorageException classify(String what, IOException e) {
    String detail = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    if (e instanceof SftpException se) {
      String status = " (SFTP " + SftpConstants.getStatusName(se.getStatus()) + ": " + detail + ")";
      return switch (se.getStatus()) {
        case SftpConstants.SSH_FX_NO_SUCH_FILE, SftpConstants.SSH_FX_NO_SUCH_PATH ->
            new StorageException(ErrorClass.NOT_FOUND, what + ": not found" + status, e);
        case SftpConstants.SSH_FX_PERMISSION_DENIED, SftpConstants.SSH_FX_WRITE_PROTECT ->
            new StorageException(ErrorClass.PERMISSION, what + ": permission denied" + status, e);
        case SftpConstants.SSH_FX_FILE_ALREADY_EXISTS,
            SftpConstants.SSH_FX_NOT_A_DIRECTORY,
            SftpConstants.SSH_FX_FILE_IS_A_DIRECTORY,
            SftpConstants.SSH_FX_DIR_NOT_EMPTY ->
            new StorageException(ErrorClass.CONFLICT, what + status, e);
        case SftpConstants.SSH_FX_OP_UNSUPPORTED ->
            new StorageException(ErrorClass.UNSUPPORTED, what + ": not supported" + status, e);
        case SftpConstants.SSH_FX_INVALID_FILENAME ->
            new StorageException(ErrorClass.INVALID_PATH, what + ": invalid file name" + status, e);
        default -> new StorageException(ErrorClass.IO, what + status, e);
      };
    }
    if (e instanceof InterruptedIOException) {
      return new StorageException(ErrorClass.IO, what + ": interrupted (" + detail + ")", e);
    }
    return new StorageException(ErrorClass.IO, what + ": connection failed (" + detail + ")", e);
  }

  private static StorageEntry entry(String path, Attributes attrs) {
    Instant modified =
        attrs.getModifyTime() == null ? Instant.EPOCH : attrs.getModifyTime().toInstant();
    return new StorageEntry(path, attrs.getSize(), modified);
  }

  static boolean isTemp(String name) {
    return name.startsWith(TEMP_PREFIX);
  }

  /** {@code .ferry-tmp-<uuid>-<name>}, the name dropped when it would exceed 255 bytes. */
  static String tempName(UUID id, String name) {
    String prefix = TEMP_PREFIX + id;
    String full = prefix + "-" + name;
    return full.getBytes(StandardCharsets.UTF_8).length <= MAX_NAME_BYTES ? full : prefix;
  }

  private static String blankToNull(String s) {
    return s == null || s.isEmpty() ? null : s;
  }

  // --- pending write ---------------------------------------------------------------------------

  private enum State {
    OPEN,
    COMMITTED,
    ABORTED,
    DETACHED
  }

  /**
   * A write to a temporary file through its own channel, which it holds until it is committed,
   * aborted or detached; see {@link PendingWrite}.
   */
  private class SftpWrite implements PendingWrite {
    final SftpClient channel;
    final RelativePath path;
    final String temp;
    private final String target;
    final CloseableHandle handle;
    final PipelinedWriter writer;
    private final OutputStream output;

    /** The content's length: what an earlier attempt left plus what this one wrote. */
    volatile long written;

    private boolean outputClosed;
    volatile State state = State.OPEN;

    SftpWrite(
        SftpClient channel,
        RelativePath path,
        String temp,
        String target,
        CloseableHandle handle,
        long start) {
      this.channel = channel;
      this.path = path;
      this.temp = temp;
      this.target = target;
      this.handle = handle;
      this.written = start;
      this.writer = new PipelinedWriter(channel, handle, start);
      this.output = new Output();
    }

    /** Counts bytes and fails once the write is closed, committed, aborted or detached. */
    private final class Output extends OutputStream {
      @Override
      public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        checkWritable();
        writer.write(b, off, len);
        written += len;
      }

      @Override
      public void flush() throws IOException {
        checkWritable();
        writer.flush();
      }

      @Override
      public void close() throws IOException {
        if (!outputClosed && state == State.OPEN) {
          outputClosed = true;
          writer.close();
        }
      }
    }

    private void checkWritable() throws IOException {
      if (outputClosed || state != State.OPEN) {
        throw new IOException("write to " + describe(path) + " is " + stateText());
      }
    }

    String stateText() {
      return outputClosed && state == State.OPEN ? "closed" : state.name().toLowerCase(Locale.ROOT);
    }

    @Override
    public RelativePath path() {
      return path;
    }

    @Override
    public OutputStream output() {
      return output;
    }

    @Override
    public long bytesWritten() {
      return written;
    }

    void requireOpen(String action) {
      if (state != State.OPEN) {
        throw new IllegalStateException(
            "cannot " + action + " " + describe(path) + ": write is " + stateText());
      }
    }

    /** Ends the content: sends what is buffered and waits for every acknowledgement. */
    private void finishOutput() {
      try {
        output.close();
      } catch (IOException e) {
        abort();
        throw classify("writing " + describe(path), e);
      }
    }

    @Override
    public InputStream readBack() {
      requireOpen("read back");
      finishOutput();
      return readTemp(0, Long.MAX_VALUE, "reading back " + describe(path));
    }

    /** {@code [offset, offset + length)} of the acknowledged content, on a channel of its own. */
    InputStream readTemp(long offset, long length, String what) {
      long size = writer.acknowledged();
      if (length == 0 || offset >= size) {
        return InputStream.nullInputStream();
      }
      if (outputClosed) {
        // The write's own channel is idle once its output is finished: reading back on it needs no
        // second channel, so writes that hold every channel of the pool cannot all wait for one.
        try {
          return openStreamOnOwnChannel(channel, temp, offset, length, size, what);
        } catch (IOException e) {
          throw classify(what, e);
        }
      }
      SftpClient c = connection.borrow();
      try {
        return openStream(c, temp, offset, length, size, what);
      } catch (IOException e) {
        connection.release(c, !connectionLost(e));
        throw classify(what, e);
      } catch (RuntimeException e) {
        connection.release(c, false);
        throw e;
      }
    }

    @Override
    public synchronized void commit() {
      if (state == State.COMMITTED) {
        return;
      }
      requireOpen("commit");
      checkStillOwned();
      finishOutput();
      try {
        fsync();
        handle.close();
        rename();
      } catch (IOException | RuntimeException e) {
        abort();
        if (e instanceof IOException io) {
          throw classify("publishing " + describe(path), io);
        }
        throw (RuntimeException) e;
      }
      state = State.COMMITTED;
      connection.release(channel, true);
    }

    /** Hook for writes whose temporary file another attempt may take over. */
    void checkStillOwned() {}

    void fsync() throws IOException {
      OpenSSHFsyncExtension ext = channel.getExtension(OpenSSHFsyncExtension.class);
      if (ext != null && ext.isSupported()) {
        ext.fsync(handle);
      }
    }

    private void rename() throws IOException {
      try {
        if (offersPosixRename(channel)) {
          // replaces an existing file atomically
          channel.getExtension(OpenSSHPosixRenameExtension.class).posixRename(temp, target);
          return;
        }
        try {
          channel.rename(temp, target);
        } catch (SftpException e) {
          Attributes existing = lstatOrNull(channel, target);
          if (existing == null || existing.isDirectory()) {
            throw e;
          }
          // SFTP v3 renames never replace: delete, then rename. Not atomic; documented.
          channel.remove(target);
          channel.rename(temp, target);
        }
      } catch (SftpException e) {
        Attributes existing = lstatOrNull(channel, target);
        if (existing != null && existing.isDirectory()) {
          throw new StorageException(
              ErrorClass.CONFLICT, describe(path) + " is a directory, not replaced", e);
        }
        throw e;
      }
    }

    /**
     * Removes the temporary file. Safe from another thread: the write's channel is closed first, so
     * that a call in progress on it fails rather than racing with the removal.
     */
    @Override
    public void abort() {
      synchronized (this) {
        if (state != State.OPEN) {
          return;
        }
        state = State.ABORTED;
      }
      // the channel may be mid-request in the writer's thread: it is never reused
      connection.release(channel, false);
      try {
        withChannel(
            "removing the temporary file of " + describe(path),
            c -> {
              try {
                c.remove(temp);
              } catch (SftpException e) {
                if (!isMissing(e)) {
                  throw e;
                }
              }
              return null;
            });
      } catch (StorageException e) {
        log.warn(
            "could not remove temporary file {} of {}: {}", temp, describe(path), e.getMessage());
      }
    }

    @Override
    public boolean committed() {
      return state == State.COMMITTED;
    }

    @Override
    public String toString() {
      return getClass().getSimpleName() + "[" + describe(path) + ", " + stateText() + "]";
    }
  }

  /**
   * A pending write whose temporary file can outlive it. {@link #bytesWritten()} counts the whole
   * content, including what an earlier attempt left.
   */
  private final class SftpResumableWrite extends SftpWrite implements ResumableWrite {
    private volatile long durable;

    SftpResumableWrite(
        SftpClient channel,
        RelativePath path,
        String temp,
        String target,
        CloseableHandle handle,
        long durable) {
      super(channel, path, temp, target, handle, durable);
      this.durable = durable;
    }

    @Override
    public String resumeToken() {
      return encodeToken(path, temp.substring(temp.lastIndexOf('/') + 1));
    }

    @Override
    public long durableBytes() {
      return durable;
    }

    /**
     * Sends what is buffered, waits for the server's acknowledgement of every byte and asks it to
     * {@code fsync} ({@code fsync@openssh.com}, when offered).
     */
    @Override
    public synchronized long sync() {
      requireOpen("sync");
      try {
        writer.flush();
        fsync();
      } catch (IOException e) {
        throw classify("syncing the temporary file of " + describe(path), e);
      }
      durable = writer.acknowledged();
      return durable;
    }

    @Override
    public InputStream readBack(long offset, long length) {
      if (offset < 0 || length < 0) {
        throw new IllegalArgumentException(
            "negative offset " + offset + " or length " + length + " for " + describe(path));
      }
      requireOpen("read back");
      if (length > 0) {
        try {
          writer.flush();
        } catch (IOException e) {
          throw classify("flushing the write of " + describe(path), e);
        }
      }
      return readTemp(offset, length, "reading back " + describe(path));
    }

    /** Truncates the temporary file ({@code fsetstat} of its size) and writes on from there. */
    @Override
    public synchronized boolean rewindTo(long offset) {
      requireOpen("rewind");
      if (offset < 0 || offset > durable) {
        throw new IllegalArgumentException(
            "cannot rewind "
                + describe(path)
                + " to "
                + offset
                + ": "
                + durable
                + " bytes durable");
      }
      try {
        writer.flush();
        Attributes size = new Attributes();
        size.setSize(offset);
        channel.setStat(handle, size);
        writer.rewind(offset);
        fsync();
      } catch (IOException e) {
        throw classify("cutting back the temporary file of " + describe(path), e);
      }
      written = offset;
      durable = offset;
      return true;
    }

    /**
     * Closes the write's channel (and with it the file handle) without removing the temporary file;
     * bytes not yet {@link #sync() synced} may or may not be in it.
     */
    @Override
    public void detach() {
      synchronized (this) {
        if (state != State.OPEN) {
          return;
        }
        state = State.DETACHED;
      }
      connection.release(channel, false);
    }

    /** Fails a stale writer whose temporary file another attempt resumed and renamed. */
    @Override
    void checkStillOwned() {
      Attributes attrs;
      try {
        attrs = lstatOrNull(channel, temp);
      } catch (IOException e) {
        abort();
        throw classify("publishing " + describe(path), e);
      }
      if (attrs == null) {
        abort();
        throw new StorageException(
            ErrorClass.CONFLICT,
            "publishing "
                + describe(path)
                + ": its temporary file is gone (resumed by another attempt, or removed)");
      }
    }
  }
}

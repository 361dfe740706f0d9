package dev.ferry.storage.sftp;

import dev.ferry.storage.InvalidPathException;
import dev.ferry.storage.RelativePath;
import dev.ferry.storage.StorageException;
import dev.ferry.storage.StorageException.ErrorClass;
import java.io.IOException;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.sshd.common.util.buffer.Buffer;
import org.apache.sshd.common.util.buffer.ByteArrayBuffer;
import org.apache.sshd.sftp.client.RawSftpClient;
import org.apache.sshd.sftp.client.SftpClient;
import org.apache.sshd.sftp.client.SftpClient.Attributes;
import org.apache.sshd.sftp.common.SftpConstants;
import org.apache.sshd.sftp.common.SftpException;

/**
 * Turns endpoint-relative paths into server paths free of symbolic links that lie below the base,
 * without trusting the server's {@code realpath} to resolve links (OpenSSH's does, MINA SSHD's only
 * normalizes).
 *
 * <p>Resolution {@code lstat}s every prefix of the path in one pipelined round trip. When none is a
 * link, that is the whole cost. A link is read ({@code readlink}) and its target resolved the same
 * way, component by component, up to {@value #MAX_LINKS} links; a link whose real target is not
 * below the base fails with {@link InvalidPathException}. The resolved path contains no link at the
 * time of resolution, so the server follows none when it is used; a link swapped in between by
 * another client is not defended against. A server whose {@code lstat} follows links would hide
 * them, and defeat the check.
 *
 * <p>Stateless apart from the base; thread-safe. Every method uses the channel it is given.
 */
final class Confinement {
  static final int MAX_LINKS = 40;

  private static final int S_IFMT = 0170000;
  private static final int S_IFDIR = 0040000;

  private final String base;
  private final String uri;

  /**
   * @param base the real (link-free, absolute, normalized) base directory
   * @param uri the endpoint, for messages
   */
  Confinement(String base, String uri) {
    this.base = base;
    this.uri = uri;
  }

  /**
   * How far a path resolved.
   *
   * @param real the real path of the first {@code resolved} segments (the base for none)
   * @param attrs attributes of {@code real}; null for the base
   * @param resolved how many segments resolved; all of them when {@link #complete()}. Otherwise
   *     segment {@code resolved} does not exist below {@code real} (when that is a directory), or
   *     {@code real} is not a directory, or the segment is a dangling link
   */
  record Walk(String real, Attributes attrs, int resolved, int segments) {
    boolean complete() {
      return resolved == segments;
    }

    boolean isDirectory() {
      return attrs == null || attrs.isDirectory();
    }
  }

  /**
   * Resolves the link-free path of the existing directory or file {@code path} names, starting at
   * the server's root: for the base itself, at open time.
   *
   * @return null when a component does not exist
   */
  static String resolveAbsolute(SftpClient c, String path) throws IOException {
    return new Confinement("/", "").follow(c, "/", path, new int[] {0}, null, false);
  }

  /** Resolves every segment of {@code rel}, following links. */
  Walk walk(SftpClient c, RelativePath rel) throws IOException {
    return walk(c, rel, rel.segments());
  }

  /** Resolves the parent directory of {@code rel} (the base for a single segment). */
  Walk walkParent(SftpClient c, RelativePath rel) throws IOException {
    List<String> segments = rel.segments();
    return walk(c, rel, segments.subList(0, segments.size() - 1));
  }

  private Walk walk(SftpClient c, RelativePath rel, List<String> segments) throws IOException {
    String current = base;
    Attributes currentAttrs = null;
    int done = 0;
    int[] hops = {0};
    while (done < segments.size()) {
      List<String> prefixes = new ArrayList<>(segments.size() - done);
      String p = current;
      for (String segment : segments.subList(done, segments.size())) {
        p = child(p, segment);
        prefixes.add(p);
      }
      List<Attributes> probes = lstatAll(c, prefixes);
      boolean restarted = false;
      for (int i = 0; i < probes.size() && !restarted; i++) {
        Attributes a = probes.get(i);
        if (a == null) {
          return new Walk(current, currentAttrs, done, segments.size());
        }
        if (a.isSymbolicLink()) {
          String target = follow(c, current, c.readLink(prefixes.get(i)), hops, rel, true);
          Attributes targetAttrs = target == null ? null : lstatOrNull(c, target);
          if (targetAttrs == null) {
            return new Walk(current, currentAttrs, done, segments.size()); // dangling
          }
          current = target;
          currentAttrs = targetAttrs;
          done++;
          restarted = true; // the rest lies below the link's target: probe it afresh
        } else {
          current = prefixes.get(i);
          currentAttrs = a;
          done++;
        }
      }
    }
    return new Walk(current, currentAttrs, done, segments.size());
  }

  /**
   * Resolves link target {@code target} as seen from directory {@code dir} (both link-free) to a
   * link-free path; with {@code confine}, that path must lie below the base. Links met on the way
   * are followed wherever they lead: only where the whole chain ends counts, as for realpath(3).
   *
   * @param rel the endpoint path being resolved, for messages; null for the base itself
   * @return null when a component does not exist (a dangling link)
   */
  private String follow(
      SftpClient c, String dir, String target, int[] hops, RelativePath rel, boolean confine)
      throws IOException {
    if (++hops[0] > MAX_LINKS) {
      throw new StorageException(
          ErrorClass.INVALID_PATH,
          describe(rel) + ": more than " + MAX_LINKS + " symbolic links (a loop?)");
    }
    String current = target.startsWith("/") ? "/" : dir;
    for (String segment : target.split("/")) {
      if (segment.isEmpty() || segment.equals(".")) {
        continue;
      }
      if (segment.equals("..")) {
        current = parent(current);
        continue;
      }
      String next = child(current, segment);
      Attributes a = lstatOrNull(c, next);
      if (a == null) {
        return null;
      }
      if (a.isSymbolicLink()) {
        String resolved = follow(c, current, c.readLink(next), hops, rel, false);
        if (resolved == null) {
          return null;
        }
        current = resolved;
      } else {
        current = next;
      }
    }
    if (confine && !inside(current)) {
      throw escapes(rel);
    }
    return current;
  }

  /**
   * Resolves the symbolic link {@code link} (a link-free path of an entry being listed) to the
   * attributes of what it leads to; null when it dangles, loops or leads outside the base.
   */
  Attributes linkTargetOrNull(SftpClient c, String link, String dir) throws IOException {
    String real;
    try {
      real = follow(c, dir, c.readLink(link), new int[] {0}, null, false);
    } catch (StorageException e) {
      return null; // a loop: not a file of this endpoint either
    }
    return real == null || !inside(real) ? null : lstatOrNull(c, real);
  }

  /**
   * The real directory {@code rel} is written into, creating missing directories one at a time;
   * each created or found directory must be a real directory below the base.
   *
   * @throws InvalidPathException when a directory leads outside the base
   * @throws StorageException {@code conflict} when a component exists and is not a directory
   */
  String parentForWrite(SftpClient c, RelativePath rel) throws IOException {
    Walk walk = walkParent(c, rel);
    List<String> segments = rel.segments();
    String dir = walk.real();
    if (!walk.isDirectory()) {
      throw notADirectory(rel, walk.resolved() - 1);
    }
    for (int i = walk.resolved(); i < segments.size() - 1; i++) {
      String next = child(dir, segments.get(i));
      SftpException mkdirFailure = null;
      try {
        c.mkdir(next);
      } catch (SftpException e) {
        mkdirFailure = e; // it exists (a directory, a file or a link), or a real failure
      }
      Attributes a = lstatOrNull(c, next);
      if (a == null) {
        throw mkdirFailure != null
            ? mkdirFailure
            : new SftpException(SftpConstants.SSH_FX_NO_SUCH_FILE, "directory vanished");
      }
      if (a.isSymbolicLink()) {
        String target = follow(c, dir, c.readLink(next), new int[] {0}, rel, true);
        a = target == null ? null : lstatOrNull(c, target);
        if (a == null) {
          throw new StorageException(
              ErrorClass.CONFLICT,
              describe(rel) + ": '" + segments.get(i) + "' is a dangling symbolic link");
        }
        next = target;
      }
      if (!a.isDirectory()) {
        throw notADirectory(rel, i);
      }
      dir = next;
    }
    return dir;
  }

  boolean inside(String real) {
    return real.equals(base) || real.startsWith(base.endsWith("/") ? base : base + "/");
  }

  private InvalidPathException escapes(RelativePath rel) {
    return new InvalidPathException(
        rel.value(),
        "resolves outside the endpoint base "
            + base
            + " of "
            + uri
            + " through a symbolic link on the server");
  }

  private StorageException notADirectory(RelativePath rel, int index) {
    String what = String.join("/", rel.segments().subList(0, index + 1));
    return new StorageException(
        ErrorClass.CONFLICT, describe(rel) + ": '" + what + "' exists and is not a directory");
  }

  private String describe(RelativePath rel) {
    return rel == null ? "the base directory" : "'" + rel.value() + "' at " + uri;
  }

  static String child(String dir, String name) {
    return dir.endsWith("/") ? dir + name : dir + "/" + name;
  }

  static String parent(String path) {
    int slash = path.lastIndexOf('/');
    return slash <= 0 ? "/" : path.substring(0, slash);
  }

  // --- lstat -----------------------------------------------------------------------------------

  static Attributes lstatOrNull(SftpClient c, String path) throws IOException {
    try {
      return c.lstat(path);
    } catch (SftpException e) {
      if (isMissing(e)) {
        return null;
      }
      throw e;
    }
  }

  static boolean isMissing(SftpException e) {
    int s = e.getStatus();
    return s == SftpConstants.SSH_FX_NO_SUCH_FILE
        || s == SftpConstants.SSH_FX_NO_SUCH_PATH
        || s == SftpConstants.SSH_FX_NOT_A_DIRECTORY;
  }

  /**
   * {@code lstat}s every path with all requests in flight at once: one round trip. Null for a path
   * that does not exist.
   */
  static List<Attributes> lstatAll(SftpClient c, List<String> paths) throws IOException {
    if (paths.size() == 1 || !(c instanceof RawSftpClient raw) || c.getVersion() != 3) {
      List<Attributes> out = new ArrayList<>(paths.size());
      for (String path : paths) {
        out.add(lstatOrNull(c, path));
      }
      return out;
    }
    int[] ids = new int[paths.size()];
    for (int i = 0; i < ids.length; i++) {
      Buffer request = new ByteArrayBuffer();
      request.putString(paths.get(i));
      ids[i] = raw.send(SftpConstants.SSH_FXP_LSTAT, request);
    }
    List<Attributes> out = new ArrayList<>(paths.size());
    IOException failure = null;
    for (int id : ids) {
      Buffer response = raw.receive(id); // every answer is collected, even after a failure
      try {
        out.add(decodeLstat(response));
      } catch (IOException e) {
        failure = failure == null ? e : failure;
        out.add(null);
      }
    }
    if (failure != null) {
      throw failure;
    }
    return out;
  }

  private static Attributes decodeLstat(Buffer response) throws IOException {
    response.getInt(); // length
    int type = response.getUByte();
    response.getInt(); // request id
    if (type == SftpConstants.SSH_FXP_STATUS) {
      int status = response.getInt();
      SftpException e = new SftpException(status, response.getString());
      if (isMissing(e)) {
        return null;
      }
      throw e;
    }
    if (type != SftpConstants.SSH_FXP_ATTRS) {
      throw new IOException(
          "unexpected SFTP response " + SftpConstants.getCommandMessageName(type) + " to lstat");
    }
    return decodeAttributesV3(response);
  }

  /** SFTP version 3 ATTRS (draft-ietf-secsh-filexfer-02, section 5). */
  private static Attributes decodeAttributesV3(Buffer b) {
    Attributes attrs = new Attributes();
    int flags = b.getInt();
    if ((flags & SftpConstants.SSH_FILEXFER_ATTR_SIZE) != 0) {
      attrs.setSize(b.getLong());
    }
    if ((flags & SftpConstants.SSH_FILEXFER_ATTR_UIDGID) != 0) {
      attrs.owner(b.getInt(), b.getInt());
    }
    if ((flags & SftpConstants.SSH_FILEXFER_ATTR_PERMISSIONS) != 0) {
      int perms = b.getInt();
      attrs.setPermissions(perms);
      attrs.setType(typeOf(perms));
    }
    if ((flags & SftpConstants.SSH_FILEXFER_ATTR_ACMODTIME) != 0) {
      attrs.accessTime(FileTime.from(b.getUInt(), TimeUnit.SECONDS));
      attrs.modifyTime(FileTime.from(b.getUInt(), TimeUnit.SECONDS));
    }
    // extended attributes, if any, come last and are not needed
    return attrs;
  }

  private static int typeOf(int perms) {
    return switch (perms & S_IFMT) {
      case S_IFDIR -> SftpConstants.SSH_FILEXFER_TYPE_DIRECTORY;
      case 0100000 -> SftpConstants.SSH_FILEXFER_TYPE_REGULAR;
      case 0120000 -> SftpConstants.SSH_FILEXFER_TYPE_SYMLINK;
      default -> SftpConstants.SSH_FILEXFER_TYPE_SPECIAL;
    };
  }
}

package dev.ferry.app.demo;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Properties;

/**
 * What the demo keeps between runs in {@code <data-dir>/demo/state.properties} (mode 0600, since it
 * holds the demo servers' passwords): the ports its servers had, their generated credentials, a
 * digest of what each endpoint was registered with, and whether SITE_C was seeded. A second run
 * reads it to reuse ports and credentials, so that the registered endpoints stay valid.
 *
 * <p>Not thread-safe; the demo reads and writes it from its start-up thread only. Every {@link
 * #set} is written through at once (to a temporary file, then renamed).
 */
public final class DemoState {
  private final Path file;
  private final Properties props = new Properties();

  private DemoState(Path file) {
    this.file = file;
  }

  public static DemoState load(Path file) {
    DemoState s = new DemoState(file);
    if (Files.exists(file)) {
      try (Reader r = Files.newBufferedReader(file)) {
        s.props.load(r);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read the demo state " + file, e);
      }
    }
    return s;
  }

  public String get(String key) {
    return props.getProperty(key);
  }

  /** The stored port for {@code key}, or 0 (any free port) when none is stored. */
  public int port(String key) {
    String v = props.getProperty(key + ".port");
    return v == null ? 0 : Integer.parseInt(v);
  }

  public void setPort(String key, int port) {
    set(key + ".port", Integer.toString(port));
  }

  /**
   * The stored secret for {@code key}, generated (16 random bytes as hex) and stored on first use.
   */
  public String secret(String key) {
    String v = props.getProperty(key);
    if (v == null) {
      byte[] b = new byte[16];
      new SecureRandom().nextBytes(b);
      v = HexFormat.of().formatHex(b);
      set(key, v);
    }
    return v;
  }

  public void set(String key, String value) {
    if (value.equals(props.getProperty(key))) {
      return;
    }
    props.setProperty(key, value);
    try {
      Files.createDirectories(file.getParent());
      Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
      try (Writer w = Files.newBufferedWriter(tmp)) {
        props.store(w, "ferry demo: ports, credentials and registrations (keep private)");
      }
      Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the demo state " + file, e);
    }
  }
}

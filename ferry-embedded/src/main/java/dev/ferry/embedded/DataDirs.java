package dev.ferry.embedded;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** File and port chores shared by the embedded servers. Stateless; safe from any thread. */
final class DataDirs {
  private static final Logger log = LoggerFactory.getLogger(DataDirs.class);
  static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

  private DataDirs() {}

  /**
   * A port that was free on 127.0.0.1 a moment ago and is not in {@code avoid}. Another process may
   * take it before the server binds it; the servers then fail to start with a bind error.
   */
  static int freePort(Set<Integer> avoid) {
    for (int attempt = 0; attempt < 20; attempt++) {
      try (ServerSocket socket = new ServerSocket(0, 1, LOOPBACK)) {
        int port = socket.getLocalPort();
        if (!avoid.contains(port)) {
          return port;
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot open a socket on 127.0.0.1 to find a free port", e);
      }
    }
    throw new IllegalStateException("no free port on 127.0.0.1 after 20 attempts");
  }

  /** Whether {@code port} can be bound on 127.0.0.1 right now. */
  static boolean isFree(int port) {
    // SO_REUSEADDR, as PostgreSQL and Kafka set it, so that a port held only by TIME_WAIT
    // connections of a previous run counts as free.
    try (ServerSocket socket = new ServerSocket()) {
      socket.setReuseAddress(true);
      socket.bind(new InetSocketAddress(LOOPBACK, port), 1);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * The port recorded under {@code key} if it is a valid port number and free now, else a new free
   * port not in {@code avoid}.
   */
  static int recordedPortIfFree(Properties state, String key, Set<Integer> avoid, String what) {
    String recorded = state.getProperty(key);
    if (recorded != null) {
      try {
        int port = Integer.parseInt(recorded.strip());
        if (port > 0 && port < 65536 && !avoid.contains(port) && isFree(port)) {
          return port;
        }
        log.info("{} port {} recorded as {} is taken; choosing another", what, port, key);
      } catch (NumberFormatException e) {
        log.warn(
            "{} port '{}' recorded as {} is not a number; choosing another", what, recorded, key);
      }
    }
    return freePort(avoid);
  }

  /** The properties in {@code file}, or empty ones if it does not exist. */
  static Properties readProperties(Path file) {
    Properties properties = new Properties();
    try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      properties.load(reader);
    } catch (NoSuchFileException e) {
      // first start
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
    return properties;
  }

  /** Writes {@code properties} sorted, through a temp file and an atomic rename. */
  static void writeProperties(Path file, Properties properties, String comment) {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    try {
      Files.createDirectories(file.getParent());
      try (Writer writer = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
        writer.write("# " + comment + System.lineSeparator());
        for (var e : new TreeMap<>(properties).entrySet()) {
          // Properties.store would escape ':' in host:port values and add a timestamp line.
          writer.write(e.getKey() + "=" + e.getValue() + System.lineSeparator());
        }
      }
      try {
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  static Path createTempDir(String prefix) {
    try {
      return Files.createTempDirectory(prefix);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a temporary directory " + prefix + "*", e);
    }
  }

  static Path createDirectories(Path dir) {
    try {
      return Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create directory " + dir, e);
    }
  }

  /** Deletes {@code dir} and everything below it; a missing directory is not an error. */
  static void deleteRecursively(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    Files.walkFileTree(
        dir,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
              throws IOException {
            Files.deleteIfExists(file);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
            if (e != null) {
              throw e;
            }
            Files.deleteIfExists(d);
            return FileVisitResult.CONTINUE;
          }
        });
  }
}

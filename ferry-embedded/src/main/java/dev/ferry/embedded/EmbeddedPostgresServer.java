package dev.ferry.embedded;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real PostgreSQL server (zonky binaries, PostgreSQL 17) running as a child process, listening on
 * 127.0.0.1 only, with trust authentication.
 *
 * <p><b>Persistent mode</b> ({@link #start(Path)} with a directory): the cluster lives in {@code
 * dataDir/pgdata} and the port in {@code dataDir/embedded-postgres.properties}. A later start on
 * the same directory keeps every database and row, and reuses the port unless another process has
 * taken it, in which case a new free port is chosen and recorded (PostgreSQL does not care). Only
 * one server may use a directory at a time; a second start fails on zonky's lock file.
 *
 * <p><b>Temporary mode</b> ({@link #startTemporary()} or a {@code null} directory): a fresh
 * directory under {@code java.io.tmpdir}, deleted on {@link #close()}. It runs with {@code
 * fsync=off} and {@code synchronous_commit=off}, which is safe for tests and fast; persistent mode
 * keeps both on so that a committed row survives a crash.
 *
 * <p>Instances are thread-safe. The caller owns the instance and must {@link #close()} it; zonky
 * also registers a JVM shutdown hook that stops the server if the JVM exits first.
 */
public final class EmbeddedPostgresServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EmbeddedPostgresServer.class);

  static final String STATE_FILE = "embedded-postgres.properties";
  static final String PGDATA = "pgdata";
  private static final String USERNAME = "postgres";
  private static final String PASSWORD = "postgres";
  private static final Pattern DATABASE_NAME = Pattern.compile("[a-z_][a-z0-9_]{0,62}");
  private static final String DUPLICATE_DATABASE = "42P04";
  private static final String UNIQUE_VIOLATION = "23505";

  private final EmbeddedPostgres postgres;
  private final Path dataDir;
  private final boolean temporary;
  private final int port;
  private final AtomicBoolean closed = new AtomicBoolean();

  private EmbeddedPostgresServer(EmbeddedPostgres postgres, Path dataDir, boolean temporary) {
    this.postgres = postgres;
    this.dataDir = dataDir;
    this.temporary = temporary;
    this.port = postgres.getPort();
  }

  /**
   * Starts a server whose data lives under {@code dataDir} (created if missing), or a temporary one
   * if {@code dataDir} is {@code null}. Blocks until the server accepts connections.
   *
   * @throws EmbeddedServerException if PostgreSQL does not start within 60 s
   */
  public static EmbeddedPostgresServer start(Path dataDir) {
    return builder().dataDir(dataDir).start();
  }

  /** Starts a server in a fresh temporary directory that {@link #close()} deletes. */
  public static EmbeddedPostgresServer startTemporary() {
    return builder().start();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A JDBC URL for {@code database} on this server, e.g. {@code jdbc:postgresql://127.0.0.1:…}. */
  public String jdbcUrl(String database) {
    return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
  }

  public int port() {
    return port;
  }

  /** The superuser name, {@code postgres}. */
  public String username() {
    return USERNAME;
  }

  /** A password to hand to clients that insist on one; authentication is {@code trust}. */
  public String password() {
    return PASSWORD;
  }

  /** The directory this server keeps its data and state file in (the temporary one if so). */
  public Path dataDir() {
    return dataDir;
  }

  public boolean isTemporary() {
    return temporary;
  }

  /**
   * Creates database {@code name} owned by {@code postgres} unless it already exists. Safe to call
   * concurrently with the same name: exactly one caller creates it, the others see it.
   *
   * @param name lower-case letters, digits and underscores, starting with a letter or underscore,
   *     at most 63 characters (so it never needs quoting)
   * @return the JDBC URL of the database
   * @throws IllegalArgumentException if the name is not of that form
   * @throws EmbeddedServerException if the server is closed or rejects the statement
   */
  public String createDatabase(String name) {
    if (name == null || !DATABASE_NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "database name must match " + DATABASE_NAME + ", got '" + name + "'");
    }
    ensureOpen("create database " + name);
    try (Connection c = connect("postgres")) {
      if (!exists(c, name)) {
        try (Statement s = c.createStatement()) {
          s.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
          // A concurrent creator wins either with 42P04 or, when both passed the catalog check
          // at once, with a unique violation on pg_database; both mean the database exists.
          boolean lostRace =
              DUPLICATE_DATABASE.equals(e.getSQLState())
                  || UNIQUE_VIOLATION.equals(e.getSQLState());
          if (!lostRace || !exists(c, name)) {
            throw e;
          }
        }
      }
    } catch (SQLException e) {
      throw new EmbeddedServerException(
          "embedded PostgreSQL on port "
              + port
              + " in "
              + dataDir
              + " could not create database "
              + name
              + ": "
              + e.getMessage(),
          e);
    }
    return jdbcUrl(name);
  }

  /**
   * Stops the server ({@code pg_ctl stop -m fast}, which waits for it) and, in temporary mode,
   * deletes the directory. Idempotent. Failures are logged, not thrown: there is nothing a caller
   * could do about them and they must not mask the outcome of a test.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    long t0 = System.nanoTime();
    try {
      postgres.close();
    } catch (IOException | RuntimeException e) {
      log.warn("embedded PostgreSQL on port {} in {} did not stop cleanly", port, dataDir, e);
    }
    if (temporary) {
      try {
        DataDirs.deleteRecursively(dataDir);
      } catch (IOException e) {
        log.warn("could not delete temporary PostgreSQL directory {}", dataDir, e);
      }
    }
    log.info(
        "embedded PostgreSQL on port {} stopped in {} ms",
        port,
        (System.nanoTime() - t0) / 1_000_000);
  }

  @Override
  public String toString() {
    return "EmbeddedPostgresServer[127.0.0.1:" + port + ", " + dataDir + "]";
  }

  private Connection connect(String database) throws SQLException {
    Properties props = new Properties();
    props.setProperty("user", USERNAME);
    props.setProperty("password", PASSWORD);
    return DriverManager.getConnection(jdbcUrl(database), props);
  }

  private static boolean exists(Connection c, String name) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
      ps.setString(1, name);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }

  private void ensureOpen(String action) {
    if (closed.get()) {
      throw new EmbeddedServerException(
          "embedded PostgreSQL on port "
              + port
              + " in "
              + dataDir
              + " is closed; cannot "
              + action);
    }
  }

  /**
   * Options for {@link EmbeddedPostgresServer}. Not thread-safe; use from one thread and discard
   * after {@link #start()}.
   */
  public static final class Builder {
    private Path dataDir;
    private Duration startupTimeout = Duration.ofSeconds(60);
    private final Map<String, String> serverConfig = new LinkedHashMap<>();

    private Builder() {}

    /** Where the data lives; {@code null} (the default) means a temporary directory. */
    public Builder dataDir(Path dataDir) {
      this.dataDir = dataDir;
      return this;
    }

    /** How long to wait for the server to accept connections; default 60 s. */
    public Builder startupTimeout(Duration startupTimeout) {
      if (startupTimeout.isNegative() || startupTimeout.isZero()) {
        throw new IllegalArgumentException("startupTimeout must be positive: " + startupTimeout);
      }
      this.startupTimeout = startupTimeout;
      return this;
    }

    /**
     * A {@code postgresql.conf} setting passed as {@code -c key=value} on every start, e.g. {@code
     * max_connections}. Overrides this class's defaults ({@code listen_addresses=127.0.0.1}, {@code
     * timezone=UTC}, {@code max_connections=300}, durability as described on the class).
     */
    public Builder serverConfig(String key, String value) {
      serverConfig.put(Objects.requireNonNull(key), Objects.requireNonNull(value));
      return this;
    }

    /**
     * Starts the server and blocks until it accepts connections.
     *
     * @throws EmbeddedServerException if it does not; the message names the directory and port
     */
    public EmbeddedPostgresServer start() {
      boolean temporary = dataDir == null;
      Path root =
          temporary
              ? DataDirs.createTempDir("ferry-pg-")
              : DataDirs.createDirectories(dataDir.toAbsolutePath());
      Path stateFile = root.resolve(STATE_FILE);
      Properties state = DataDirs.readProperties(stateFile);
      int port = DataDirs.recordedPortIfFree(state, "port", Set.of(), "PostgreSQL in " + root);
      state.setProperty("port", Integer.toString(port));
      DataDirs.writeProperties(stateFile, state, "embedded PostgreSQL state; port may change");

      EmbeddedPostgres.Builder zonky =
          EmbeddedPostgres.builder()
              .setDataDirectory(root.resolve(PGDATA))
              .setCleanDataDirectory(false)
              .setPort(port)
              .setPGStartupWait(startupTimeout)
              // initdb takes the locale from the environment otherwise; C works everywhere.
              .setLocaleConfig("locale", "C")
              .setServerConfig("listen_addresses", "127.0.0.1")
              .setServerConfig("timezone", "UTC")
              .setServerConfig("max_connections", "300")
              // The owner stops the server (FerryRuntime's hook after the control plane; tests'
              // SharedPostgres hook or try-with-resources): zonky's own hook would race it and
              // stop PostgreSQL under a running app ("Could not stop postmaster").
              .setRegisterShutdownHook(false);
      if (temporary) {
        zonky
            .setServerConfig("fsync", "off")
            .setServerConfig("synchronous_commit", "off")
            .setServerConfig("full_page_writes", "off");
      } else {
        // zonky starts postgres with -F (fsync off); a persistent data dir must survive a crash.
        zonky.setServerConfig("fsync", "on").setServerConfig("synchronous_commit", "on");
      }
      serverConfig.forEach(zonky::setServerConfig);

      long t0 = System.nanoTime();
      EmbeddedPostgres postgres;
      try {
        postgres = zonky.start();
      } catch (IOException | RuntimeException e) {
        if (temporary) {
          try {
            DataDirs.deleteRecursively(root);
          } catch (IOException suppressed) {
            e.addSuppressed(suppressed);
          }
        }
        throw new EmbeddedServerException(
            "embedded PostgreSQL did not start in "
                + root
                + " on port "
                + port
                + " (waiting up to "
                + startupTimeout.toSeconds()
                + "s): "
                + e,
            e);
      }
      log.info(
          "embedded PostgreSQL started on 127.0.0.1:{} in {} ms ({})",
          port,
          (System.nanoTime() - t0) / 1_000_000,
          temporary ? "temporary " + root : root);
      return new EmbeddedPostgresServer(postgres, root, temporary);
    }
  }
}

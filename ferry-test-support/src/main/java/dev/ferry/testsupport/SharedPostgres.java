package dev.ferry.testsupport;

import dev.ferry.embedded.EmbeddedPostgresServer;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One temporary {@link EmbeddedPostgresServer} per JVM, started on first use (a few seconds) and
 * stopped, with its directory deleted, when the JVM exits. Tests must not close it.
 *
 * <p>Give each test class (or Spring test context) its own database with {@link
 * #freshDatabase(String)} and let Flyway build the schema there; the server runs with {@code
 * fsync=off}, so creating a database takes a few tens of milliseconds.
 *
 * <pre>{@code
 * private static final String JDBC_URL = SharedPostgres.freshDatabase("control");
 *
 * @DynamicPropertySource
 * static void database(DynamicPropertyRegistry registry) {
 *   registry.add("spring.datasource.url", () -> JDBC_URL);
 *   registry.add("spring.datasource.username", () -> SharedPostgres.instance().username());
 *   registry.add("spring.datasource.password", () -> SharedPostgres.instance().password());
 * }
 * }</pre>
 *
 * <p>Thread-safe.
 */
public final class SharedPostgres {
  private static final Lazy<EmbeddedPostgresServer> SERVER =
      new Lazy<>("PostgreSQL", EmbeddedPostgresServer::startTemporary);
  private static final AtomicInteger SEQUENCE = new AtomicInteger();

  private SharedPostgres() {}

  /**
   * The shared server, started if this is the first call.
   *
   * @throws dev.ferry.embedded.EmbeddedServerException if it does not start, now or earlier
   */
  public static EmbeddedPostgresServer instance() {
    return SERVER.get();
  }

  /**
   * Creates a new, empty database and returns its JDBC URL. The name is {@code prefix} reduced to
   * lower-case letters, digits and underscores, plus a sequence number unique in this JVM, e.g.
   * {@code freshDatabase("JobStoreTest")} gives {@code …/jobstoretest_7}. Call it once per test
   * class or context and keep the URL: each call creates another database.
   */
  public static String freshDatabase(String prefix) {
    String base =
        prefix == null ? "" : prefix.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
    if (base.isEmpty() || !Character.isLetter(base.charAt(0))) {
      base = "db_" + base;
    }
    if (base.length() > 50) {
      base = base.substring(0, 50);
    }
    return instance().createDatabase(base + "_" + SEQUENCE.incrementAndGet());
  }
}

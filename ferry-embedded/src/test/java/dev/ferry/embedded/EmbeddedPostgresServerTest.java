package dev.ferry.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedPostgresServerTest {
  @TempDir Path dir;

  @Test
  void shouldKeepRowsAcrossRestartAndMoveOffATakenPort() throws Exception {
    int firstPort;
    long t0 = System.nanoTime();
    try (EmbeddedPostgresServer pg = EmbeddedPostgresServer.start(dir)) {
      report("PostgreSQL cold start (initdb + start)", t0);
      firstPort = pg.port();
      String url = pg.createDatabase("ferry_restart");
      try (Connection c = connect(pg, url);
          Statement s = c.createStatement()) {
        s.execute("CREATE TABLE note (id int PRIMARY KEY, body text NOT NULL)");
        s.execute("INSERT INTO note VALUES (1, 'kept')");
      }
    }

    t0 = System.nanoTime();
    try (EmbeddedPostgresServer pg = EmbeddedPostgresServer.start(dir)) {
      report("PostgreSQL warm start (same dir)", t0);
      assertThat(pg.port()).isEqualTo(firstPort);
      assertThat(pg.createDatabase("ferry_restart")).isEqualTo(pg.jdbcUrl("ferry_restart"));
      assertThat(body(pg, pg.jdbcUrl("ferry_restart"))).isEqualTo("kept");
    }

    try (ServerSocket squatter = new ServerSocket(firstPort, 1, InetAddress.getLoopbackAddress());
        EmbeddedPostgresServer pg = EmbeddedPostgresServer.start(dir)) {
      assertThat(pg.port()).isNotEqualTo(firstPort);
      assertThat(body(pg, pg.jdbcUrl("ferry_restart"))).isEqualTo("kept");
      assertThat(Files.readString(dir.resolve(EmbeddedPostgresServer.STATE_FILE)))
          .contains("port=" + pg.port());
    }
  }

  @Test
  void temporaryServerCreatesDatabasesOnceAndDeletesItsDirectoryOnClose() throws Exception {
    Path dataDir;
    try (EmbeddedPostgresServer pg = EmbeddedPostgresServer.startTemporary()) {
      dataDir = pg.dataDir();
      assertThat(pg.isTemporary()).isTrue();
      assertThat(dataDir.resolve(EmbeddedPostgresServer.PGDATA)).isDirectory();

      ExecutorService pool = Executors.newFixedThreadPool(4);
      try {
        List<Future<String>> results = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
          results.add(pool.submit((Callable<String>) () -> pg.createDatabase("raced")));
        }
        for (Future<String> result : results) {
          assertThat(result.get()).isEqualTo(pg.jdbcUrl("raced"));
        }
      } finally {
        pool.shutdownNow();
      }
      try (Connection c = connect(pg, pg.jdbcUrl("raced"))) {
        assertThat(c.isValid(5)).isTrue();
      }
      assertThatThrownBy(() -> pg.createDatabase("Robert'); DROP TABLE students;--"))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("database name must match");
    }
    assertThat(dataDir).doesNotExist();
  }

  private static String body(EmbeddedPostgresServer pg, String url) throws SQLException {
    try (Connection c = connect(pg, url);
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT body FROM note WHERE id = 1")) {
      assertThat(rs.next()).isTrue();
      return rs.getString(1);
    }
  }

  private static Connection connect(EmbeddedPostgresServer pg, String url) throws SQLException {
    return DriverManager.getConnection(url, pg.username(), pg.password());
  }

  private static void report(String what, long t0) {
    System.out.printf("%s: %d ms%n", what, (System.nanoTime() - t0) / 1_000_000);
  }
}

package dev.ferry.testsupport;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.embedded.EmbeddedPostgresServer;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(EmbeddedPostgresExtension.class)
class SharedPostgresTest {

  @Test
  void shouldHandOutOneServerAndEmptyIsolatedDatabases(
      EmbeddedPostgresServer injected,
      @FreshDatabase String first,
      @FreshDatabase("other") String second)
      throws SQLException {
    assertThat(injected).isSameAs(SharedPostgres.instance());
    assertThat(first).contains("/sharedpostgrestest_").isNotEqualTo(second);
    assertThat(second).contains("/other_");
    String third = SharedPostgres.freshDatabase("9 Odd-Name!");
    assertThat(third).contains("/db_9_odd_name__");

    try (Connection c =
            DriverManager.getConnection(first, injected.username(), injected.password());
        Statement s = c.createStatement()) {
      s.execute("CREATE TABLE only_here (id int)");
    }
    try (Connection c =
            DriverManager.getConnection(second, injected.username(), injected.password());
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")) {
      rs.next();
      assertThat(rs.getInt(1)).isZero();
    }
  }
}

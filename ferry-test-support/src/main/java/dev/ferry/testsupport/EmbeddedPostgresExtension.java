package dev.ferry.testsupport;

import dev.ferry.embedded.EmbeddedPostgresServer;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Injects the {@linkplain SharedPostgres shared PostgreSQL server} into test constructors and
 * methods: parameters of type {@link EmbeddedPostgresServer}, and {@code String} parameters
 * annotated {@link FreshDatabase} (a JDBC URL of a new empty database).
 *
 * <pre>{@code
 * @ExtendWith(EmbeddedPostgresExtension.class)
 * class JobStoreTest {
 *   @Test
 *   void shouldPersistJob(@FreshDatabase String jdbcUrl, EmbeddedPostgresServer pg) { ... }
 * }
 * }</pre>
 *
 * <p>The server outlives the test class; it stops when the JVM exits.
 */
public final class EmbeddedPostgresExtension implements ParameterResolver {
  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    Class<?> type = parameter.getParameter().getType();
    return type == EmbeddedPostgresServer.class
        || (type == String.class && parameter.isAnnotated(FreshDatabase.class));
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    if (parameter.getParameter().getType() == EmbeddedPostgresServer.class) {
      return SharedPostgres.instance();
    }
    String prefix =
        parameter
            .findAnnotation(FreshDatabase.class)
            .map(FreshDatabase::value)
            .filter(v -> !v.isEmpty())
            .orElseGet(() -> context.getRequiredTestClass().getSimpleName());
    return SharedPostgres.freshDatabase(prefix);
  }
}

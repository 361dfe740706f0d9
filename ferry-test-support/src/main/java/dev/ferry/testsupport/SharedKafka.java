package dev.ferry.testsupport;

import dev.ferry.embedded.EmbeddedKafkaBroker;

/**
 * One temporary {@link EmbeddedKafkaBroker} per JVM, started on first use (one to a few seconds)
 * and stopped, with its directory deleted, when the JVM exits. Tests must not close it.
 *
 * <p>Tests share the broker, so each test class should use its own topic names, consumer groups and
 * transactional ids (e.g. suffixed with the class name). Topics are not created automatically; use
 * an {@code Admin} or {@link EmbeddedKafkaBroker#createTopics(java.util.Map)}.
 *
 * <p>Thread-safe.
 */
public final class SharedKafka {
  private static final Lazy<EmbeddedKafkaBroker> BROKER =
      new Lazy<>("Kafka", EmbeddedKafkaBroker::startTemporary);

  private SharedKafka() {}

  /**
   * The shared broker, started if this is the first call.
   *
   * @throws dev.ferry.embedded.EmbeddedServerException if it does not start, now or earlier
   */
  public static EmbeddedKafkaBroker instance() {
    return BROKER.get();
  }

  /** {@code 127.0.0.1:<port>} of the shared broker, starting it if needed. */
  public static String bootstrapServers() {
    return instance().bootstrapServers();
  }
}

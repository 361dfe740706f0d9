package dev.ferry.testsupport;

import dev.ferry.embedded.EmbeddedKafkaBroker;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Injects the {@linkplain SharedKafka shared Kafka broker} into parameters of type {@link
 * EmbeddedKafkaBroker} of test constructors and methods. The broker outlives the test class; it
 * stops when the JVM exits.
 */
public final class EmbeddedKafkaExtension implements ParameterResolver {
  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == EmbeddedKafkaBroker.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    return SharedKafka.instance();
  }
}

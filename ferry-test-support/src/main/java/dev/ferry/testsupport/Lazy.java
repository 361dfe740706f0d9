package dev.ferry.testsupport;

import dev.ferry.embedded.EmbeddedServerException;
import java.util.function.Supplier;

/**
 * A server started on first {@link #get()} and closed by a JVM shutdown hook. A failed start is
 * remembered: later calls fail at once with the same cause instead of waiting out another timeout.
 * Thread-safe.
 */
final class Lazy<T extends AutoCloseable> {
  private final String name;
  private final Supplier<T> starter;
  private T instance;
  private RuntimeException failure;

  Lazy(String name, Supplier<T> starter) {
    this.name = name;
    this.starter = starter;
  }

  synchronized T get() {
    if (instance != null) {
      return instance;
    }
    if (failure != null) {
      throw new EmbeddedServerException(
          "shared " + name + " failed to start earlier in this JVM: " + failure.getMessage(),
          failure);
    }
    try {
      T started = starter.get();
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(() -> closeQuietly(started), "ferry-shared-" + name + "-stop"));
      instance = started;
      return started;
    } catch (RuntimeException e) {
      failure = e;
      throw e;
    }
  }

  private static void closeQuietly(AutoCloseable closeable) {
    try {
      closeable.close();
    } catch (Exception e) {
      // The JVM is exiting; the embedded servers log their own shutdown problems.
    }
  }
}

package dev.ferry.app;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code ferry server}: runs the chosen roles until SIGTERM or Ctrl-C. */
@Command(
    name = "server",
    mixinStandardHelpOptions = true,
    description = "Run the control plane, a worker and/or the telemetry role.")
public final class ServerCommand implements Callable<Integer> {
  @Option(
      names = "--embedded",
      description = "Start an embedded PostgreSQL and Kafka broker under --data-dir.")
  boolean embedded;

  @Mixin ServerOptions options = new ServerOptions();

  @Override
  public Integer call() throws Exception {
    FerryRuntime runtime = FerryRuntime.start(options, embedded, System.out);
    runtime.awaitShutdown();
    return 0;
  }
}

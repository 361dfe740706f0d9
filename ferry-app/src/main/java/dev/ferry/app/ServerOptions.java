package dev.ferry.app;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Options shared by {@code ferry server} and {@code ferry demo}. */
public final class ServerOptions {
  @Option(
      names = "--data-dir",
      description = "Where the embedded database, broker and secrets live (default: ~/.ferry).")
  Path dataDir = Path.of(System.getProperty("user.home"), ".ferry");

  @Option(names = "--port", description = "HTTP port (default: $SERVER_PORT or 8080).")
  Integer port;

  @Option(
      names = "--roles",
      description = "Roles to run: any of control,worker,telemetry (default: all).")
  String roles = "control,worker,telemetry";

  @Option(
      names = "--site",
      description = "Site whose tasks this process's worker executes (default: every site).")
  String site;

  @Option(
      names = "--control-url",
      description = "Control plane URL for a worker-only process (default: this process).")
  String controlUrl;

  @Option(
      names = "--worker-concurrency",
      description = "Tasks one worker runs at once (default: ${DEFAULT-VALUE}).")
  int workerConcurrency = 4;

  int port() {
    if (port != null) {
      return port;
    }
    String env = System.getenv("SERVER_PORT");
    return env == null || env.isBlank() ? 8080 : Integer.parseInt(env.strip());
  }
}

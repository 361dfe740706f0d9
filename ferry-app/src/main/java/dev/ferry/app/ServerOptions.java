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

  @Option(
      names = "--link-concurrency",
      paramLabel = "N",
      converter = LinkOptions.ConcurrencyConverter.class,
      description =
          "Tasks of one link (SRC->DST) a worker runs at once; in adaptive mode the most it may"
              + " reach (default: --worker-concurrency).")
  Integer linkConcurrency;

  @Option(
      names = "--link-concurrency-mode",
      paramLabel = "fixed|adaptive",
      converter = LinkOptions.ModeConverter.class,
      description =
          "fixed: each link keeps its limit; adaptive: the limit moves between 1 and it with the"
              + " link's success ratio and throughput (default: fixed).")
  LinkOptions.Mode linkConcurrencyMode = LinkOptions.Mode.FIXED;

  @Option(
      names = "--link-bandwidth",
      paramLabel = "RATE",
      converter = LinkOptions.RateConverter.class,
      description =
          "Bytes per second all tasks of one link may move together in a worker, e.g. 50MiB/s"
              + " (default: unlimited).")
  Long linkBandwidth;

  @Option(
      names = "--link",
      paramLabel = "SRC->DST:concurrency=N,bandwidth=RATE",
      converter = LinkOptions.PerLinkConverter.class,
      description =
          "Settings of one link, overriding the defaults above; repeatable. Quote it: '>' is"
              + " special to a shell.")
  java.util.List<LinkOptions.PerLink> links = new java.util.ArrayList<>();

  int port() {
    if (port != null) {
      return port;
    }
    String env = System.getenv("SERVER_PORT");
    return env == null || env.isBlank() ? 8080 : Integer.parseInt(env.strip());
  }
}

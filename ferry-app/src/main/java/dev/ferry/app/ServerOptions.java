package dev.ferry.app;

import dev.ferry.telemetry.anomaly.AnomalyOptions;
import dev.ferry.telemetry.streams.TransferTopology;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
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

  @Option(
      names = "--telemetry-window",
      converter = DurationConverter.class,
      description =
          "Tumbling window of the telemetry aggregates, e.g. 10s, 1m (default: 1m). Changing it"
              + " on existing telemetry state needs a fresh --data-dir.")
  Duration telemetryWindow;

  @Option(
      names = "--telemetry-grace",
      converter = DurationConverter.class,
      description =
          "How long a telemetry window waits for late facts after its end, less than the window"
              + " (default: 30s, or half the window when that is shorter).")
  Duration telemetryGrace;

  @Option(
      names = "--telemetry-peer-address",
      description =
          "host:port (reachable by the other telemetry instances, on the internal network) where"
              + " this telemetry instance answers its peers; set it on every instance when several"
              + " run, so that /api/v1/links answers for all partitions. Requests must carry"
              + " $FERRY_TELEMETRY_PEER_SECRET when that is set (same value on every instance).")
  String telemetryPeerAddress;

  @Option(
      names = "--prometheus-url",
      description =
          "A Prometheus server that scrapes Ferry: the consistency checker then also compares its"
              + " query API's ferry_transfers_total and ferry_transfer_bytes_total with the stream.")
  String prometheusUrl;

  /**
   * {@code --anomaly SETTING=VALUE}, repeatable: anomaly detection settings (docs/anomalies.md).
   * Each is checked here, so a misspelt name or a bad value is a usage error before anything
   * starts, then applied as the system property {@code ferry.telemetry.anomaly.SETTING}, where the
   * runtime reads the settings ({@link AnomalyOptions#fromProperties}); given here, it wins over
   * the same {@code -D}.
   */
  @Option(
      names = "--anomaly",
      paramLabel = "SETTING=VALUE",
      description =
          "An anomaly detection setting, repeatable, e.g. --anomaly throughput-drop=4 --anomaly"
              + " warm-up-windows=20. Settings: enabled, warm-up-windows, sample-size, trees,"
              + " grade-threshold, z-factor, throughput-drop, duration-rise, failure-rise,"
              + " retention, correlation-windows, random-seed (docs/anomalies.md). The same as"
              + " -Dferry.telemetry.anomaly.SETTING=VALUE, and wins over it.")
  void anomaly(Map<String, String> settings) {
    Map<String, String> properties = new LinkedHashMap<>();
    settings.forEach((k, v) -> properties.put(AnomalyOptions.PREFIX + k, v));
    try {
      AnomalyOptions.fromProperties(properties);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "--anomaly: " + e.getMessage(), e);
    }
    properties.forEach(System::setProperty);
  }

  @CommandLine.Spec(CommandLine.Spec.Target.MIXEE)
  CommandLine.Model.CommandSpec spec;

  /** The telemetry window size, {@code null} for the topology's default (1 min). */
  Duration telemetryWindow() {
    return telemetryWindow;
  }

  /**
   * The grace to go with {@link #telemetryWindow()}: as given, else 30 s or half the window when
   * shorter, so that {@code --telemetry-window 10s} alone is valid; {@code null} for the default.
   */
  Duration telemetryGrace() {
    if (telemetryGrace != null || telemetryWindow == null) {
      return telemetryGrace;
    }
    Duration half = telemetryWindow.dividedBy(2);
    Duration dflt = Duration.ofSeconds(30);
    return half.compareTo(dflt) < 0 ? half : dflt;
  }

  /**
   * Checks what can be checked before anything starts.
   *
   * @throws IllegalArgumentException naming the option and the problem
   */
  void validate() {
    if (telemetryWindow != null || telemetryGrace != null) {
      TransferTopology.Options d = TransferTopology.Options.defaults();
      try {
        d.withWindow(
            telemetryWindow != null ? telemetryWindow : d.windowSize(),
            telemetryGrace() != null ? telemetryGrace() : d.grace());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "--telemetry-window/--telemetry-grace: " + e.getMessage(), e);
      }
    }
  }

  /** {@code 250ms}, {@code 10s}, {@code 5m}, {@code 1h}, or ISO-8601 ({@code PT10S}). */
  static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    private static final Pattern SIMPLE = Pattern.compile("(\\d+)(ms|s|m|h)");

    @Override
    public Duration convert(String value) {
      String v = value.strip();
      Matcher m = SIMPLE.matcher(v);
      if (m.matches()) {
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
          case "ms" -> Duration.ofMillis(n);
          case "s" -> Duration.ofSeconds(n);
          case "m" -> Duration.ofMinutes(n);
          default -> Duration.ofHours(n);
        };
      }
      try {
        return Duration.parse(v);
      } catch (DateTimeParseException e) {
        throw new CommandLine.TypeConversionException(
            "'" + value + "' is not a duration: use e.g. 500ms, 10s, 1m, 1h");
      }
    }
  }

  int port() {
    if (port != null) {
      return port;
    }
    String env = System.getenv("SERVER_PORT");
    return env == null || env.isBlank() ? 8080 : Integer.parseInt(env.strip());
  }
}

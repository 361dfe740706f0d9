package dev.ferry.telemetry.streams;

import dev.ferry.model.Json;
import dev.ferry.model.event.Envelope;
import dev.ferry.telemetry.aggregate.LinkStats;
import dev.ferry.telemetry.aggregate.Outcome;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.UUID;

/**
 * The payload of a closed window on {@code ferry.link-stats} (type {@value #TYPE}, schema {@value
 * #SCHEMA_V1}): the features anomaly detection consumes. Quantiles are null when nothing was
 * measured in the window.
 */
public record WindowSummary(
    String tenant,
    String sourceSite,
    String destinationSite,
    Instant start,
    Instant end,
    long succeeded,
    long skipped,
    long failed,
    long bytes,
    long retryableFailures,
    double failureRatio,
    Double durationP50Seconds,
    Double durationP95Seconds,
    Double durationP99Seconds,
    Double throughputP50BytesPerSecond,
    Double throughputP95BytesPerSecond,
    Map<String, Long> failuresByErrorClass) {

  public static final String TYPE = "dev.ferry.link.window-closed";
  public static final String SCHEMA_V1 = TYPE + "/1";
  public static final String SOURCE = "/ferry/telemetry";

  public static WindowSummary of(ClosedWindow w) {
    LinkStats s = w.stats();
    return new WindowSummary(
        w.link().tenant(),
        w.link().sourceSite(),
        w.link().destinationSite(),
        w.start(),
        w.end(),
        s.count(Outcome.SUCCEEDED),
        s.count(Outcome.SKIPPED),
        s.count(Outcome.FAILED),
        s.bytes(),
        s.retryableFailures(),
        s.failureRatio(),
        boxed(s.durationQuantileSeconds(0.5)),
        boxed(s.durationQuantileSeconds(0.95)),
        boxed(s.durationQuantileSeconds(0.99)),
        boxed(s.throughputQuantileBytesPerSecond(0.5)),
        boxed(s.throughputQuantileBytesPerSecond(0.95)),
        s.failuresByErrorClass());
  }

  private static Double boxed(OptionalDouble d) {
    return d.isPresent() ? d.getAsDouble() : null;
  }

  /**
   * The window as an envelope. Its id is derived from (link, start), so a re-emitted window has the
   * same id and consumers deduplicate it like any event; its time is the window's end.
   */
  public Envelope toEnvelope() {
    String name = tenant + "|" + sourceSite + "|" + destinationSite + "|" + start.toEpochMilli();
    return new Envelope(
        UUID.nameUUIDFromBytes(name.getBytes(StandardCharsets.UTF_8)).toString(),
        SOURCE,
        TYPE,
        Envelope.SPEC_VERSION,
        end,
        tenant,
        sourceSite + "->" + destinationSite,
        SCHEMA_V1,
        Json.mapper().valueToTree(this));
  }
}

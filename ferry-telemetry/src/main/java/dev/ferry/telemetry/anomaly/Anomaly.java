package dev.ferry.telemetry.anomaly;

import dev.ferry.model.Json;
import dev.ferry.model.event.Envelope;
import dev.ferry.model.event.Topics;
import dev.ferry.telemetry.aggregate.LinkKey;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

/**
 * A window the detector flagged: the payload of {@code ferry.anomalies} (type {@value #TYPE},
 * schema {@value #SCHEMA_V1}) and what {@code GET /api/v1/anomalies} lists.
 *
 * @param id derived from (tenant, link, window start): the same window flagged again after a
 *     re-delivery has the same id
 * @param score the forest's anomaly score
 * @param grade the thresholder's grade, 0 to 1
 * @param feature the {@link Feature#wireName()} of the feature to blame
 * @param features what the window showed
 * @param expected the link's usual window the confirmation rule compared with (lower quartile of
 *     throughput, longest p95, median failure ratio and count of its recent unflagged windows; see
 *     {@link LinkDetector}); null only for anomalies stored before that rule
 * @param detectedAt when the detector processed the window (its clock)
 */
public record Anomaly(
    String id,
    String tenant,
    String srcSite,
    String dstSite,
    Instant windowStart,
    Instant windowEnd,
    double score,
    double grade,
    String feature,
    WindowFeatures features,
    WindowFeatures expected,
    Instant detectedAt) {

  public static final String TYPE = "dev.ferry.link.anomaly";
  public static final String SCHEMA_V1 = TYPE + "/1";
  public static final String SOURCE = "/ferry/telemetry/anomalies";

  public Anomaly {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(tenant, "tenant");
    Objects.requireNonNull(srcSite, "srcSite");
    Objects.requireNonNull(dstSite, "dstSite");
    Objects.requireNonNull(windowStart, "windowStart");
    Objects.requireNonNull(windowEnd, "windowEnd");
    Objects.requireNonNull(feature, "feature");
    Objects.requireNonNull(features, "features");
    Objects.requireNonNull(detectedAt, "detectedAt");
  }

  /** The stable id of the anomaly of {@code link}'s window starting at {@code start}. */
  public static String idOf(LinkKey link, Instant start) {
    String name =
        "anomaly|"
            + link.tenant()
            + "|"
            + link.sourceSite()
            + "|"
            + link.destinationSite()
            + "|"
            + start.toEpochMilli();
    return UUID.nameUUIDFromBytes(name.getBytes(StandardCharsets.UTF_8)).toString();
  }

  public LinkKey link() {
    return new LinkKey(tenant, srcSite, dstSite);
  }

  /** The anomaly as an event: its id is the anomaly's, its time the window's end. */
  public Envelope toEnvelope() {
    return new Envelope(
        id,
        SOURCE,
        TYPE,
        Envelope.SPEC_VERSION,
        windowEnd,
        tenant,
        Topics.linkKey(srcSite, dstSite),
        SCHEMA_V1,
        Json.mapper().valueToTree(this));
  }
}

package dev.ferry.telemetry.query;

import dev.ferry.model.Json;
import dev.ferry.telemetry.aggregate.LinkKey;
import dev.ferry.telemetry.aggregate.LinkStats;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;

/**
 * The wire form of partial aggregates between telemetry instances ({@link TelemetryPeerServer}
 * answers, {@link ClusterQueries} asks): JSON with each {@link LinkStats} in its own versioned
 * binary form, base64. Internal: both ends are the same build; instances of different builds in one
 * application are only safe when {@code LinkStats}' format did not change between them.
 */
final class PeerProtocol {
  static final String LINKS_PATH = "/internal/v1/telemetry/links";
  static final String SERIES_PATH = "/internal/v1/telemetry/series";

  private PeerProtocol() {}

  static byte[] links(List<LinkTotals> links) {
    List<Map<String, Object>> out = new ArrayList<>(links.size());
    for (LinkTotals t : links) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("tenant", t.link().tenant());
      m.put("sourceSite", t.link().sourceSite());
      m.put("destinationSite", t.link().destinationSite());
      m.put("lateFacts", t.lateFacts());
      m.put("stats", Base64.getEncoder().encodeToString(t.stats().toBytes()));
      out.add(m);
    }
    return Json.mapper().writeValueAsBytes(out);
  }

  static List<LinkTotals> readLinks(String body) {
    List<LinkTotals> out = new ArrayList<>();
    for (JsonNode n : Json.mapper().readTree(body)) {
      out.add(
          new LinkTotals(
              new LinkKey(
                  n.get("tenant").asString(),
                  n.get("sourceSite").asString(),
                  n.get("destinationSite").asString()),
              LinkStats.fromBytes(Base64.getDecoder().decode(n.get("stats").asString())),
              n.get("lateFacts").asLong()));
    }
    return out;
  }

  static byte[] series(List<WindowPoint> points) {
    List<Map<String, Object>> out = new ArrayList<>(points.size());
    for (WindowPoint p : points) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("start", p.start().toEpochMilli());
      m.put("end", p.end().toEpochMilli());
      m.put("stats", Base64.getEncoder().encodeToString(p.stats().toBytes()));
      out.add(m);
    }
    return Json.mapper().writeValueAsBytes(out);
  }

  static List<WindowPoint> readSeries(LinkKey link, String body) {
    List<WindowPoint> out = new ArrayList<>();
    for (JsonNode n : Json.mapper().readTree(body)) {
      out.add(
          new WindowPoint(
              link,
              Instant.ofEpochMilli(n.get("start").asLong()),
              Instant.ofEpochMilli(n.get("end").asLong()),
              LinkStats.fromBytes(Base64.getDecoder().decode(n.get("stats").asString()))));
    }
    return out;
  }

  /** Whether {@code header} is {@code Bearer <secret>}, compared in constant time. */
  static boolean authorized(String secret, String header) {
    if (secret == null) {
      return true;
    }
    byte[] expected = ("Bearer " + secret).getBytes(StandardCharsets.UTF_8);
    byte[] given = header == null ? new byte[0] : header.getBytes(StandardCharsets.UTF_8);
    return MessageDigest.isEqual(expected, given);
  }
}

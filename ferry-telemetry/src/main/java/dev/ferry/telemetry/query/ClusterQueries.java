package dev.ferry.telemetry.query;

import dev.ferry.telemetry.aggregate.LinkKey;
import dev.ferry.telemetry.aggregate.LinkStats;
import dev.ferry.telemetry.streams.TransferTopology;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.IntSupplier;
import java.util.function.Supplier;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsMetadata;

/**
 * {@link TelemetryQueries} over every instance of the telemetry application: the instances share
 * one application id and split the input partitions, each keeping the state of its own. A query
 * asks Kafka Streams which instance owns which partitions ({@link
 * KafkaStreams#streamsMetadataForStore}), reads this instance's stores directly, fetches the other
 * owners' partial aggregates from their {@link TelemetryPeerServer}, and merges ({@link
 * LinkStats#merge}: merge is associative and commutative, so the order of answers does not matter).
 *
 * <p>Never silently partial: when a partition of the input topic has no running owner (during a
 * rebalance) or an owner does not answer in time, the query throws {@link
 * TelemetryUnavailableException} naming the instance and its partitions; the REST API turns that
 * into a 503 problem. Every query asks every owner (a link's facts all sit on one partition, but
 * its key in the stores is not the topic key, and one round trip per owner keeps it simple); fine
 * for the few instances a deployment runs.
 *
 * <p>{@code /metrics} deliberately does not use this class: each instance exports its own
 * partitions, so that Prometheus summing over instances counts every fact once.
 *
 * <p>Thread-safe.
 */
public final class ClusterQueries implements TelemetryQueries {
  private final TelemetryQueries local;
  private final Supplier<KafkaStreams> streams;
  private final String self;
  private final String inputTopic;
  private final IntSupplier inputPartitions;
  private final String secret;
  private final Duration timeout;
  private final HttpClient http;

  /**
   * @param local this instance's stores
   * @param streams the running Kafka Streams, or null while there is none
   * @param self this instance's {@code application.server}, {@code host:port}
   * @param inputTopic the facts topic, whose partitions the instances split
   * @param inputPartitions its partition count; 0 or less while unknown
   * @param secret the peers' shared secret, or null
   * @param timeout per request to a peer
   */
  public ClusterQueries(
      TelemetryQueries local,
      Supplier<KafkaStreams> streams,
      String self,
      String inputTopic,
      IntSupplier inputPartitions,
      String secret,
      Duration timeout) {
    this.local = local;
    this.streams = streams;
    this.self = self;
    this.inputTopic = inputTopic;
    this.inputPartitions = inputPartitions;
    this.secret = secret;
    this.timeout = timeout;
    this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
  }

  /** Owner {@code host:port} → its partitions of the input topic; every partition owned. */
  Map<String, Set<Integer>> owners() {
    KafkaStreams s = streams.get();
    if (s == null) {
      throw new TelemetryUnavailableException("telemetry is not running here", null);
    }
    Collection<StreamsMetadata> all;
    try {
      all = s.streamsMetadataForStore(TransferTopology.TOTALS_STORE);
    } catch (RuntimeException e) {
      throw new TelemetryUnavailableException(
          "cannot tell which telemetry instance owns which partitions: " + e.getMessage(), e);
    }
    Map<String, Set<Integer>> owners = new TreeMap<>();
    Set<Integer> covered = new TreeSet<>();
    for (StreamsMetadata m : all) {
      Set<Integer> ps = new TreeSet<>();
      for (TopicPartition tp : m.topicPartitions()) {
        if (tp.topic().equals(inputTopic)) {
          ps.add(tp.partition());
        }
      }
      if (!ps.isEmpty()) {
        owners.computeIfAbsent(m.host() + ":" + m.port(), k -> new TreeSet<>()).addAll(ps);
        covered.addAll(ps);
      }
    }
    int n = inputPartitions.getAsInt();
    if (n <= 0 || covered.size() < n) {
      Set<Integer> missing = new TreeSet<>();
      for (int p = 0; p < Math.max(n, 0); p++) {
        if (!covered.contains(p)) {
          missing.add(p);
        }
      }
      throw new TelemetryUnavailableException(
          n <= 0
              ? "the partition count of " + inputTopic + " is not known yet"
              : "partitions "
                  + missing
                  + " of "
                  + inputTopic
                  + " have no running owner (rebalance?)",
          null);
    }
    return owners;
  }

  /** This instance's stores, as its {@code /metrics} exports them. */
  @Override
  public TelemetryQueries local() {
    return local;
  }

  @Override
  public List<LinkTotals> links() {
    Map<LinkKey, LinkStats> merged = new TreeMap<>();
    Map<LinkKey, Long> late = new TreeMap<>();
    for (Map.Entry<String, Set<Integer>> owner : owners().entrySet()) {
      List<LinkTotals> part =
          owner.getKey().equals(self)
              ? local.links()
              : PeerProtocol.readLinks(get(owner, PeerProtocol.LINKS_PATH));
      for (LinkTotals t : part) {
        merged.merge(t.link(), t.stats(), LinkStats::merge);
        late.merge(t.link(), t.lateFacts(), Long::sum);
      }
    }
    List<LinkTotals> out = new ArrayList<>(merged.size());
    merged.forEach((k, v) -> out.add(new LinkTotals(k, v, late.getOrDefault(k, 0L))));
    return out;
  }

  @Override
  public Optional<LinkTotals> link(LinkKey link) {
    return links().stream().filter(t -> t.link().equals(link)).findFirst();
  }

  @Override
  public List<WindowPoint> series(LinkKey link, Instant from, Instant to) {
    if (!from.isBefore(to)) {
      return List.of();
    }
    Map<Instant, WindowPoint> byStart = new TreeMap<>();
    for (Map.Entry<String, Set<Integer>> owner : owners().entrySet()) {
      List<WindowPoint> part =
          owner.getKey().equals(self)
              ? local.series(link, from, to)
              : PeerProtocol.readSeries(
                  link,
                  get(
                      owner,
                      PeerProtocol.SERIES_PATH
                          + "?tenant="
                          + enc(link.tenant())
                          + "&src="
                          + enc(link.sourceSite())
                          + "&dst="
                          + enc(link.destinationSite())
                          + "&from="
                          + from.toEpochMilli()
                          + "&to="
                          + to.toEpochMilli()));
      for (WindowPoint p : part) {
        byStart.merge(
            p.start(),
            p,
            (a, b) -> new WindowPoint(link, a.start(), a.end(), a.stats().merge(b.stats())));
      }
    }
    return new ArrayList<>(byStart.values());
  }

  @Override
  public List<SiteFreshness> siteFreshness() {
    return SiteFreshness.of(links());
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  private String get(Map.Entry<String, Set<Integer>> owner, String pathAndQuery) {
    String what =
        "telemetry instance " + owner.getKey() + " (owner of partitions " + owner.getValue() + ")";
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://" + owner.getKey() + pathAndQuery))
            .timeout(timeout)
            .GET();
    if (secret != null) {
      b.header("Authorization", "Bearer " + secret);
    }
    HttpResponse<String> r;
    try {
      r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new TelemetryUnavailableException(what + " cannot be reached: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new TelemetryUnavailableException("interrupted while asking " + what, e);
    }
    if (r.statusCode() != 200) {
      throw new TelemetryUnavailableException(
          what + " answered " + r.statusCode() + ": " + r.body(), null);
    }
    return r.body();
  }
}

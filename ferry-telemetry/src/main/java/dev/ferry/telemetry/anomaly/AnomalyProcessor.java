package dev.ferry.telemetry.anomaly;

import dev.ferry.model.Json;
import dev.ferry.model.event.Envelope;
import dev.ferry.model.event.Topics;
import dev.ferry.telemetry.aggregate.LinkKey;
import dev.ferry.telemetry.streams.DeadLetters;
import dev.ferry.telemetry.streams.WindowSummary;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.WindowStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;

/**
 * The one processor of {@link AnomalyTopology}: per closed window, load the link's model, score the
 * window, store the model, the latest score and any anomaly, and publish the anomaly. One instance
 * per stream task, called by that task's thread only.
 */
final class AnomalyProcessor implements Processor<String, byte[], String, byte[]> {
  private static final Logger log = LoggerFactory.getLogger(AnomalyProcessor.class);

  private final AnomalyTopology.Options options;
  private ProcessorContext<String, byte[]> context;
  private KeyValueStore<LinkKey, byte[]> models;
  private KeyValueStore<LinkKey, LinkScore> latest;
  private WindowStore<LinkKey, Anomaly> anomalies;

  /**
   * Deserialized models of recently seen links, least recently used evicted beyond {@value
   * #CACHED_MODELS}. Reading a model back from its bytes costs far more than an update (see
   * docs/anomalies.md), so it is done only when the stored bytes are not the cached model's state:
   * {@link LinkDetector#isStateOf} compares the header, which catches a store rolled back by an
   * aborted transaction (the cached model went ahead, the store did not) or restored elsewhere.
   */
  private final Map<LinkKey, LinkDetector> cache =
      new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<LinkKey, LinkDetector> eldest) {
          return size() > CACHED_MODELS;
        }
      };

  private static final int CACHED_MODELS = 256;

  AnomalyProcessor(AnomalyTopology.Options options) {
    this.options = options;
  }

  @Override
  public void init(ProcessorContext<String, byte[]> context) {
    this.context = context;
    this.models = context.getStateStore(AnomalyTopology.MODELS_STORE);
    this.latest = context.getStateStore(AnomalyTopology.LATEST_STORE);
    this.anomalies = context.getStateStore(AnomalyTopology.ANOMALIES_STORE);
  }

  @Override
  public void process(Record<String, byte[]> record) {
    WindowSummary window;
    try {
      if (record.value() == null) {
        throw new IllegalArgumentException("null value");
      }
      Envelope e = Json.mapper().readValue(record.value(), Envelope.class);
      if (!WindowSummary.TYPE.equals(e.type())) {
        return; // not a window: ignored, like unknown fields
      }
      if (!WindowSummary.SCHEMA_V1.equals(e.dataschema())) {
        throw new IllegalArgumentException("unknown schema " + e.dataschema());
      }
      window = Json.mapper().treeToValue(e.data(), WindowSummary.class);
      if (window.tenant() == null
          || window.sourceSite() == null
          || window.destinationSite() == null
          || window.start() == null
          || window.end() == null) {
        throw new IllegalArgumentException("window without tenant, sites, start or end");
      }
    } catch (JacksonException | IllegalArgumentException e) {
      deadLetter(record, "not a window summary: " + e.getMessage());
      return;
    }
    LinkKey link = new LinkKey(window.tenant(), window.sourceSite(), window.destinationSite());
    LinkDetector detector = load(link);
    WindowFeatures features;
    try {
      features = WindowFeatures.of(window, detector.lastFeatures());
    } catch (IllegalArgumentException e) {
      deadLetter(record, "window of " + link + " has invalid features: " + e.getMessage());
      return;
    }
    Verdict verdict = detector.score(window.start(), features);
    LinkScore before = latest.get(link);
    if (before == null) {
      before = LinkScore.first(link);
    }
    if (!(verdict instanceof Verdict.Duplicate) && !(verdict instanceof Verdict.Empty)) {
      cache.put(link, detector);
    } else if (detector.isStateOf(models.get(link))) {
      cache.put(link, detector); // unchanged
    }
    if (verdict instanceof Verdict.WarmingUp w) {
      log.debug("window {} of {}: warming up ({}), {}", window.start(), link, w.seen(), features);
      models.put(link, detector.toBytes());
      latest.put(link, before.warmingUp(window.start(), window.end(), w.seen()));
    } else if (verdict instanceof Verdict.Scored s) {
      if (log.isDebugEnabled()) {
        // every scored window, for tuning: what the forest made of it and whether the rule agreed
        log.debug(
            "window {} of {}: score {}, grade {}, anomaly {}, {}",
            window.start(),
            link,
            String.format(java.util.Locale.ROOT, "%.2f", s.score()),
            String.format(java.util.Locale.ROOT, "%.2f", s.grade()),
            s.anomaly(),
            features);
      }
      models.put(link, detector.toBytes());
      latest.put(
          link,
          before.next(
              window.start(),
              window.end(),
              s.windowsSeen(),
              s.score(),
              s.grade(),
              s.feature().wireName(),
              s.anomaly(),
              features.throughputBytesPerSecond(),
              options.detector().correlationWindows()));
      if (s.anomaly()) {
        flag(link, window, features, s);
      }
    }
    // Duplicate (a re-delivered window, already learnt from) and Empty change nothing
  }

  private LinkDetector load(LinkKey link) {
    byte[] bytes = models.get(link);
    LinkDetector cached = cache.remove(link);
    if (cached != null && cached.isStateOf(bytes)) {
      return cached;
    }
    if (bytes != null) {
      try {
        return LinkDetector.fromBytes(bytes, options.detector());
      } catch (IllegalArgumentException e) {
        log.warn("the anomaly model of {} is unreadable; it starts over with a warm-up", link, e);
      }
    }
    return new LinkDetector(link.toString(), options.detector());
  }

  private void flag(LinkKey link, WindowSummary w, WindowFeatures features, Verdict.Scored s) {
    Anomaly a =
        new Anomaly(
            Anomaly.idOf(link, w.start()),
            link.tenant(),
            link.sourceSite(),
            link.destinationSite(),
            w.start(),
            w.end(),
            s.score(),
            s.grade(),
            s.feature().wireName(),
            features,
            s.expected(),
            options.clock().instant());
    anomalies.put(link, a, w.start().toEpochMilli());
    log.info(
        "anomaly on {} in window {}: score {}, grade {}, {} {} (usual {})",
        link,
        w.start(),
        String.format(java.util.Locale.ROOT, "%.2f", s.score()),
        String.format(java.util.Locale.ROOT, "%.2f", s.grade()),
        s.feature().wireName(),
        features.get(s.feature()),
        s.expected() == null ? "?" : s.expected().get(s.feature()));
    context.forward(
        new Record<>(
            Topics.linkKey(link.sourceSite(), link.destinationSite()),
            Json.mapper().writeValueAsBytes(a.toEnvelope()),
            w.end().toEpochMilli()),
        AnomalyTopology.SINK);
  }

  private void deadLetter(Record<String, byte[]> record, String reason) {
    new DeadLetters(
            options.linkStatsTopic(), AnomalyTopology.CONSUMER, AnomalyTopology.DEAD_LETTER_SINK)
        .send(context, record, reason);
  }
}

package dev.ferry.control.consistency;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The checker's gauges: {@code ferry.consistency.drift{check,tenant,src_site,dst_site,measure}},
 * the sum of the absolute drifts of the link's checks ({@code measure} {@code transfers} sums the
 * three outcomes, {@code bytes} is bytes), zero included so that alerts see recovery; and {@code
 * ferry.consistency.checks{status}}, the number of checks of the last run by status. Rows of links
 * gone from a run disappear. Labels are tenant and site names only.
 */
final class ConsistencyMetrics {
  private final MultiGauge drift;
  private final MultiGauge checks;

  ConsistencyMetrics(MeterRegistry registry) {
    drift =
        MultiGauge.builder("ferry.consistency.drift")
            .description("Absolute drift of the consistency checks of a link, last run")
            .register(registry);
    checks =
        MultiGauge.builder("ferry.consistency.checks")
            .description("Consistency checks of the last run, by status")
            .register(registry);
  }

  void record(ConsistencyReport report) {
    Map<List<String>, Long> byLink = new LinkedHashMap<>();
    long ok = 0;
    long drifting = 0;
    for (ConsistencyCheck c : report.checks()) {
      byLink.merge(
          List.of(c.check(), c.tenant(), c.sourceSite(), c.destinationSite(), c.measure()),
          Math.abs(c.drift()),
          Long::sum);
      if (c.ok()) {
        ok++;
      } else {
        drifting++;
      }
    }
    List<MultiGauge.Row<?>> rows = new ArrayList<>();
    byLink.forEach(
        (k, v) ->
            rows.add(
                MultiGauge.Row.of(
                    Tags.of(
                        "check", k.get(0),
                        "tenant", k.get(1),
                        "src_site", k.get(2),
                        "dst_site", k.get(3),
                        "measure", k.get(4)),
                    v)));
    drift.register(rows, true);
    checks.register(
        List.of(
            MultiGauge.Row.of(Tags.of("status", ConsistencyCheck.OK), ok),
            MultiGauge.Row.of(Tags.of("status", ConsistencyCheck.DRIFT), drifting)),
        true);
  }
}

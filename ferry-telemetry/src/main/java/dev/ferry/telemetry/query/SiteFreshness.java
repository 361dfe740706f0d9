package dev.ferry.telemetry.query;

import dev.ferry.telemetry.aggregate.LinkKey;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The latest event time of any transfer fact that had the site at either end, per tenant.
 *
 * @param lastEventTime the envelope time of that fact (event time, not arrival time)
 */
public record SiteFreshness(String tenant, String site, Instant lastEventTime) {
  public SiteFreshness {
    Objects.requireNonNull(tenant, "tenant");
    Objects.requireNonNull(site, "site");
    Objects.requireNonNull(lastEventTime, "lastEventTime");
  }

  /**
   * Derives site freshness from link totals: a site's links may live on different partitions (the
   * input is keyed by link), so freshness is computed from the links rather than kept in a store of
   * its own, which would need a repartition by site. In (tenant, site) order.
   */
  public static List<SiteFreshness> of(List<LinkTotals> links) {
    record Site(String tenant, String site) {}
    Map<Site, Instant> latest =
        new TreeMap<>(Comparator.comparing(Site::tenant).thenComparing(Site::site));
    for (LinkTotals t : links) {
      LinkKey k = t.link();
      t.stats()
          .lastEventTime()
          .ifPresent(
              at -> {
                latest.merge(new Site(k.tenant(), k.sourceSite()), at, SiteFreshness::later);
                latest.merge(new Site(k.tenant(), k.destinationSite()), at, SiteFreshness::later);
              });
    }
    List<SiteFreshness> out = new ArrayList<>(latest.size());
    latest.forEach((s, at) -> out.add(new SiteFreshness(s.tenant(), s.site(), at)));
    return out;
  }

  private static Instant later(Instant a, Instant b) {
    return a.isAfter(b) ? a : b;
  }
}

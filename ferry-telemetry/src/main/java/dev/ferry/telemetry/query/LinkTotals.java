package dev.ferry.telemetry.query;

import dev.ferry.telemetry.aggregate.LinkKey;
import dev.ferry.telemetry.aggregate.LinkStats;
import java.util.Objects;

/**
 * A link's running totals since the first fact.
 *
 * @param stats every distinct fact of the link, late ones included; a private copy the caller owns
 * @param lateFacts how many of them arrived after their window had closed, so are in no window
 */
public record LinkTotals(LinkKey link, LinkStats stats, long lateFacts) {
  public LinkTotals {
    Objects.requireNonNull(link, "link");
    Objects.requireNonNull(stats, "stats");
  }
}

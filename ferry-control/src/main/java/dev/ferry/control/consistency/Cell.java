package dev.ferry.control.consistency;

import dev.ferry.telemetry.aggregate.LinkKey;
import java.util.Comparator;
import java.util.Objects;

/** One number compared across sides: a measure of one tenant's link. */
public record Cell(LinkKey link, Measure measure) implements Comparable<Cell> {
  private static final Comparator<Cell> ORDER =
      Comparator.comparing(Cell::link).thenComparing(Cell::measure);

  public Cell {
    Objects.requireNonNull(link, "link");
    Objects.requireNonNull(measure, "measure");
  }

  @Override
  public int compareTo(Cell other) {
    return ORDER.compare(this, other);
  }
}

package dev.ferry.app.demo;

import java.time.Duration;

/** How the demo's console lines show time since the start. */
final class DemoClock {
  private DemoClock() {}

  /** {@code m:ss} (or {@code h:mm:ss}) since the start. */
  static String elapsed(Duration d) {
    long s = Math.max(0, d.toSeconds());
    return s >= 3600
        ? String.format("%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60)
        : String.format("%d:%02d", s / 60, s % 60);
  }
}

package dev.ferry.app.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Set;
import tools.jackson.databind.JsonNode;

/** Watches a job until it settles, drawing one progress line (files, bytes, rate, ETA). */
public final class Progress {
  static final Set<String> SETTLED =
      Set.of("SUCCEEDED", "PARTIALLY_SUCCEEDED", "FAILED", "CANCELLED");

  private Progress() {}

  /** Polls the job every {@code interval}; returns the settled job. */
  public static JsonNode watch(
      ApiClient api, String jobId, PrintWriter out, boolean draw, Duration interval) {
    Instant start = Instant.now();
    while (true) {
      JsonNode job = api.get("/api/v1/jobs/" + jobId);
      String state = job.path("state").asString();
      if (draw) {
        out.print("\r" + line(job, Duration.between(start, Instant.now())));
        out.flush();
      }
      if (SETTLED.contains(state)) {
        if (draw) {
          out.println();
        }
        return job;
      }
      try {
        Thread.sleep(interval.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new CliException("interrupted; the job keeps running: ferry jobs watch " + jobId);
      }
    }
  }

  static String line(JsonNode job, Duration elapsed) {
    JsonNode files = job.path("progress").path("files");
    JsonNode bytes = job.path("progress").path("bytes");
    long total = files.path("total").asLong();
    long done = files.path("done").asLong() + files.path("skipped").asLong();
    long bytesTotal = bytes.path("total").asLong();
    long bytesDone = bytes.path("done").asLong();
    double fraction =
        bytesTotal > 0 ? (double) bytesDone / bytesTotal : total > 0 ? (double) done / total : 0;
    int filled = (int) Math.round(fraction * 20);
    double seconds = Math.max(0.001, elapsed.toMillis() / 1000.0);
    double rate = bytesDone / seconds;
    String eta =
        rate > 0 && bytesTotal > bytesDone
            ? String.format(Locale.ROOT, "%.0fs", (bytesTotal - bytesDone) / rate)
            : "-";
    return String.format(
        Locale.ROOT,
        "%-9s [%s%s] %3.0f%%  files %d/%d  %s/%s  %s/s  ETA %s  failed %d   ",
        job.path("state").asString(),
        "#".repeat(filled),
        ".".repeat(20 - filled),
        fraction * 100,
        done,
        total,
        size(bytesDone),
        size(bytesTotal),
        size((long) rate),
        eta,
        files.path("failed").asLong());
  }

  static String size(long bytes) {
    if (bytes < 1024) {
      return bytes + " B";
    }
    String[] units = {"KiB", "MiB", "GiB", "TiB"};
    double v = bytes;
    int u = -1;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
  }

  /** 0 for SUCCEEDED, 3 for PARTIALLY_SUCCEEDED, 1 for FAILED or CANCELLED. */
  public static int exitCode(JsonNode job) {
    return switch (job.path("state").asString()) {
      case "SUCCEEDED" -> 0;
      case "PARTIALLY_SUCCEEDED" -> 3;
      default -> 1;
    };
  }
}

package dev.ferry.telemetry.anomaly;

import dev.ferry.telemetry.aggregate.LinkKey;
import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;

/**
 * A link's latest verdict, for metrics and queries: one per link in {@value
 * AnomalyTopology#LATEST_STORE}.
 *
 * @param link the link
 * @param windowStart the latest window learnt from
 * @param windowEnd its end
 * @param warmingUp whether the model is still warming up (then score and grade are 0)
 * @param windowsSeen windows the model has seen
 * @param score the latest window's score
 * @param grade the latest window's grade
 * @param feature the latest window's feature to blame ({@link Feature#wireName()}), null while
 *     warming up
 * @param anomaliesTotal windows flagged on this link since its model started
 * @param recentScores scores of the latest scored windows, oldest first, at most {@link
 *     AnomalyOptions#correlationWindows()}
 * @param recentThroughput the throughput of the same windows, bytes per second
 */
public record LinkScore(
    LinkKey link,
    Instant windowStart,
    Instant windowEnd,
    boolean warmingUp,
    long windowsSeen,
    double score,
    double grade,
    String feature,
    long anomaliesTotal,
    double[] recentScores,
    double[] recentThroughput) {

  public LinkScore {
    Objects.requireNonNull(link, "link");
    recentScores = recentScores == null ? new double[0] : recentScores.clone();
    recentThroughput = recentThroughput == null ? new double[0] : recentThroughput.clone();
    if (recentScores.length != recentThroughput.length) {
      throw new IllegalArgumentException(
          "recentScores and recentThroughput differ in length: "
              + recentScores.length
              + " vs "
              + recentThroughput.length);
    }
  }

  @Override
  public double[] recentScores() {
    return recentScores.clone();
  }

  @Override
  public double[] recentThroughput() {
    return recentThroughput.clone();
  }

  /** This score followed by a scored window, keeping the last {@code keep} pairs. */
  LinkScore next(
      Instant start,
      Instant end,
      long seen,
      double newScore,
      double newGrade,
      String newFeature,
      boolean anomaly,
      double throughput,
      int keep) {
    int n = Math.min(keep, recentScores.length + 1);
    double[] s = new double[n];
    double[] t = new double[n];
    int copy = n - 1;
    System.arraycopy(recentScores, recentScores.length - copy, s, 0, copy);
    System.arraycopy(recentThroughput, recentThroughput.length - copy, t, 0, copy);
    s[n - 1] = newScore;
    t[n - 1] = throughput;
    return new LinkScore(
        link,
        start,
        end,
        false,
        seen,
        newScore,
        newGrade,
        newFeature,
        anomaliesTotal + (anomaly ? 1 : 0),
        s,
        t);
  }

  /** A link still warming up, keeping what it had. */
  LinkScore warmingUp(Instant start, Instant end, long seen) {
    return new LinkScore(
        link, start, end, true, seen, 0, 0, null, anomaliesTotal, recentScores, recentThroughput);
  }

  static LinkScore first(LinkKey link) {
    return new LinkScore(link, null, null, true, 0, 0, 0, null, 0, null, null);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof LinkScore l
        && link.equals(l.link)
        && Objects.equals(windowStart, l.windowStart)
        && Objects.equals(windowEnd, l.windowEnd)
        && warmingUp == l.warmingUp
        && windowsSeen == l.windowsSeen
        && Double.compare(score, l.score) == 0
        && Double.compare(grade, l.grade) == 0
        && Objects.equals(feature, l.feature)
        && anomaliesTotal == l.anomaliesTotal
        && Arrays.equals(recentScores, l.recentScores)
        && Arrays.equals(recentThroughput, l.recentThroughput);
  }

  @Override
  public int hashCode() {
    return Objects.hash(link, windowStart, windowsSeen, score);
  }

  @Override
  public String toString() {
    return "LinkScore["
        + link
        + " window "
        + windowStart
        + (warmingUp ? " warming up" : " score " + score + " grade " + grade + " " + feature)
        + ", seen "
        + windowsSeen
        + ", anomalies "
        + anomaliesTotal
        + "]";
  }
}

package dev.ferry.telemetry.anomaly;

/** What {@link LinkDetector#score} made of one window: a closed set. */
public sealed interface Verdict {

  /**
   * The window was not newer than the last one the model saw (a re-delivery after a crash or a
   * rebalance, see {@link dev.ferry.telemetry.streams.WindowListener}): ignored, the model is
   * unchanged.
   */
  record Duplicate() implements Verdict {}

  /** The window held no transfer: nothing to learn. */
  record Empty() implements Verdict {}

  /**
   * The model learnt from the window but has not seen enough windows to judge: never an anomaly.
   *
   * @param seen windows seen so far, this one included
   * @param needed windows of warm-up ({@link AnomalyOptions#warmUpWindows()})
   */
  record WarmingUp(long seen, int needed) implements Verdict {}

  /**
   * The window was scored (and then learnt from).
   *
   * @param score the forest's anomaly score; around 1 or below is ordinary, higher is stranger
   * @param grade the thresholder's anomaly grade, 0 (normal) to 1
   * @param anomaly whether {@code grade} reached {@link AnomalyOptions#gradeThreshold()} and the
   *     window is worse than the link's usual beyond a bar (see {@link LinkDetector})
   * @param feature for an anomaly, the feature that broke its bar; otherwise the feature that
   *     contributes most to the score (the forest's attribution)
   * @param expected for an anomaly, the link's usual window the rule compared with (lower quartile
   *     of throughput, longest p95, median failure ratio and count of its recent unflagged
   *     windows); else null
   * @param windowsSeen windows the model has seen, this one included
   */
  record Scored(
      double score,
      double grade,
      boolean anomaly,
      Feature feature,
      WindowFeatures expected,
      long windowsSeen)
      implements Verdict {}
}

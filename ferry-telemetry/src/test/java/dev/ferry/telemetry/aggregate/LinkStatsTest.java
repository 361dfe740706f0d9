package dev.ferry.telemetry.aggregate;

import static dev.ferry.telemetry.Facts.fact;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LinkStatsTest {
  private static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");

  /** A reproducible mix of outcomes, sizes, durations and error classes. */
  private static List<TransferFact> randomFacts(long seed, int n) {
    Random r = new Random(seed);
    List<TransferFact> facts = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      Instant t = T0.plusMillis(r.nextInt(3_600_000));
      int k = r.nextInt(10);
      TransferFact f;
      if (k < 7) {
        f = fact(t).succeeded(1 + r.nextInt(1 << 30), r.nextInt(200_000)).toFact();
      } else if (k < 8) {
        f = fact(t).skipped().toFact();
      } else {
        f = fact(t).failed("class-" + r.nextInt(5), r.nextBoolean()).toFact();
      }
      facts.add(f);
    }
    return facts;
  }

  @Test
  void shouldCountOutcomesBytesAndFailures() {
    LinkStats s =
        LinkStats.of(
            List.of(
                fact(T0).succeeded(100, 1_000).toFact(),
                fact(T0.plusSeconds(5)).succeeded(300, 3_000).toFact(),
                fact(T0.minusSeconds(5)).skipped().toFact(),
                fact(T0.plusSeconds(1)).failed("io", true).toFact(),
                fact(T0.plusSeconds(2)).failed("checksum-mismatch", false).toFact(),
                fact(T0.plusSeconds(3)).failed("io", true).toFact()));

    assertThat(s.counts())
        .containsEntry(Outcome.SUCCEEDED, 2L)
        .containsEntry(Outcome.SKIPPED, 1L)
        .containsEntry(Outcome.FAILED, 3L);
    assertThat(s.transfers()).isEqualTo(6);
    assertThat(s.bytes()).isEqualTo(400);
    assertThat(s.retryableFailures()).isEqualTo(2);
    assertThat(s.failuresByErrorClass())
        .containsExactly(
            java.util.Map.entry("checksum-mismatch", 1L), java.util.Map.entry("io", 2L));
    assertThat(s.failureRatio()).isEqualTo(0.5);
    assertThat(s.durationSumSeconds()).isEqualTo(4.0);
    assertThat(s.firstEventTime()).contains(T0.minusSeconds(5));
    assertThat(s.lastEventTime()).contains(T0.plusSeconds(5));
  }

  @Test
  void shouldMeasureDurationAndThroughputOfSucceededFactsOnly() {
    LinkStats s =
        LinkStats.of(
            List.of(
                fact(T0).succeeded(2_000, 1_000).toFact(), // 2,000 B/s
                fact(T0).succeeded(0, 500).toFact(), // empty file: a duration, no throughput
                fact(T0).failed("io", true).duration(90_000).toFact(),
                fact(T0).skipped().duration(90_000).toFact()));

    assertThat(Arrays.stream(s.durationBucketCounts()).sum()).isEqualTo(2);
    assertThat(s.durationQuantileSeconds(1.0).getAsDouble()).isCloseTo(1.0, within(0.01));
    assertThat(s.throughputQuantileBytesPerSecond(0.5).getAsDouble())
        .isCloseTo(2_000, within(20.0));
    assertThat(new LinkStats().durationQuantileSeconds(0.5)).isEmpty();
    assertThat(new LinkStats().throughputQuantileBytesPerSecond(0.5)).isEmpty();
  }

  @Test
  void shouldPutDurationsInInclusiveClassicBuckets() {
    double[] bounds = LinkStats.durationBucketBoundsSeconds();
    int i100ms = Arrays.binarySearch(bounds, 0.1);
    LinkStats s =
        LinkStats.of(
            List.of(
                fact(T0).succeeded(1, 100).toFact(), // exactly on the bound: in it
                fact(T0).succeeded(1, 101).toFact(), // just above: in the next
                fact(T0).succeeded(1, 7_200_000).toFact())); // 2 h: +Inf

    long[] counts = s.durationBucketCounts();
    assertThat(counts).hasSize(bounds.length + 1);
    assertThat(counts[i100ms]).isEqualTo(1);
    assertThat(counts[i100ms + 1]).isEqualTo(1);
    assertThat(counts[bounds.length]).isEqualTo(1);
    assertThat(Arrays.stream(counts).sum()).isEqualTo(s.count(Outcome.SUCCEEDED));
  }

  @Test
  void shouldAnswerQuantilesWithinTheRelativeAccuracy() {
    List<TransferFact> facts = randomFacts(7, 5_000);
    LinkStats s = LinkStats.of(facts);
    double[] sorted =
        facts.stream()
            .filter(f -> f.outcome() == Outcome.SUCCEEDED)
            .mapToDouble(f -> f.durationMillis() / 1000.0)
            .sorted()
            .toArray();
    for (double q : new double[] {0.5, 0.9, 0.95, 0.99}) {
      double exact = sorted[(int) Math.floor(q * (sorted.length - 1))];
      assertThat(s.durationQuantileSeconds(q).getAsDouble())
          .as("p%s", q * 100)
          .isCloseTo(exact, within(exact * LinkStats.RELATIVE_ACCURACY * 1.01 + 1e-3));
    }
  }

  @Test
  void shouldMergeToTheSameAsAddingEverythingToOne() {
    List<TransferFact> facts = randomFacts(11, 3_000);
    LinkStats whole = LinkStats.of(facts);

    // any split, in any order, merged in any grouping
    Random r = new Random(3);
    LinkStats[] parts = {new LinkStats(), new LinkStats(), new LinkStats(), new LinkStats()};
    for (TransferFact f : facts) {
      parts[r.nextInt(parts.length)].add(f);
    }
    LinkStats leftToRight = new LinkStats();
    for (LinkStats p : parts) {
      leftToRight.merge(p);
    }
    LinkStats rightToLeft = new LinkStats();
    for (int i = parts.length - 1; i >= 0; i--) {
      rightToLeft.merge(parts[i]);
    }
    LinkStats pairwise =
        LinkStats.merged(
            LinkStats.merged(parts[0], parts[1]), LinkStats.merged(parts[2], parts[3]));

    assertThat(leftToRight).isEqualTo(whole);
    assertThat(rightToLeft).isEqualTo(whole);
    assertThat(pairwise).isEqualTo(whole);
  }

  @Test
  void shouldMergeCommutativelyAndAssociativelyWithEmptyAsIdentity() {
    LinkStats a = LinkStats.of(randomFacts(1, 500));
    LinkStats b = LinkStats.of(randomFacts(2, 700));
    LinkStats c = LinkStats.of(randomFacts(3, 300));

    assertThat(LinkStats.merged(a, b)).isEqualTo(LinkStats.merged(b, a));
    assertThat(LinkStats.merged(LinkStats.merged(a, b), c))
        .isEqualTo(LinkStats.merged(a, LinkStats.merged(b, c)));
    assertThat(LinkStats.merged(a, new LinkStats())).isEqualTo(a);
    assertThat(LinkStats.merged(new LinkStats(), a)).isEqualTo(a);
    assertThat(LinkStats.merged(a, b)).isNotEqualTo(a);
  }

  @Test
  void shouldNotChangeTheMergedArgument() {
    LinkStats a = LinkStats.of(randomFacts(1, 50));
    LinkStats b = LinkStats.of(randomFacts(2, 50));
    LinkStats bBefore = b.copy();

    a.merge(b);

    assertThat(b).isEqualTo(bBefore);
  }

  @Test
  void shouldRoundTripThroughBytes() {
    for (LinkStats s :
        List.of(
            new LinkStats(),
            LinkStats.of(randomFacts(5, 1)),
            LinkStats.of(randomFacts(5, 4_000)))) {
      byte[] bytes = s.toBytes();
      LinkStats back = LinkStats.fromBytes(bytes);

      assertThat(back).isEqualTo(s);
      assertThat(back.toBytes()).isEqualTo(bytes);
      assertThat(back.durationQuantileSeconds(0.95)).isEqualTo(s.durationQuantileSeconds(0.95));
      assertThat(back.throughputQuantileBytesPerSecond(0.5))
          .isEqualTo(s.throughputQuantileBytesPerSecond(0.5));
    }
  }

  @Test
  void shouldStayCompactWhenEncoded() {
    LinkStats s = LinkStats.of(randomFacts(9, 10_000));
    assertThat(s.toBytes().length).isLessThan(4_096);
    assertThat(new LinkStats().toBytes().length).isLessThan(40);
  }

  @Test
  void shouldMergeAfterARoundTrip() {
    LinkStats a = LinkStats.of(randomFacts(1, 300));
    LinkStats b = LinkStats.of(randomFacts(2, 300));
    assertThat(LinkStats.fromBytes(a.toBytes()).merge(LinkStats.fromBytes(b.toBytes())))
        .isEqualTo(LinkStats.merged(a, b));
  }

  @Test
  void shouldRejectCorruptOrUnknownEncodings() {
    byte[] good = LinkStats.of(randomFacts(1, 100)).toBytes();
    byte[] unknownVersion = good.clone();
    unknownVersion[0] = 9;

    assertThatThrownBy(() -> LinkStats.fromBytes(unknownVersion))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unknown format version 9");
    assertThatThrownBy(() -> LinkStats.fromBytes(Arrays.copyOf(good, good.length / 2)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> LinkStats.fromBytes(Arrays.copyOf(good, good.length + 1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("trailing");
    assertThatThrownBy(() -> LinkStats.fromBytes(new byte[0]))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void shouldBoundErrorClassesAndStayMergeable() {
    List<TransferFact> facts = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      facts.add(fact(T0).failed(String.format("e%02d", i), false).toFact());
    }
    LinkStats whole = LinkStats.of(facts);

    assertThat(whole.failuresByErrorClass()).hasSize(LinkStats.MAX_ERROR_CLASSES);
    assertThat(whole.failuresByErrorClass()).containsKey("e00").doesNotContainKey("e31");
    assertThat(whole.failuresByErrorClass().get(LinkStats.OTHER_ERROR_CLASS)).isEqualTo(19);
    assertThat(whole.failuresByErrorClass().values().stream().mapToLong(Long::longValue).sum())
        .isEqualTo(50);

    // folding happens at different points when the facts are split, yet the result is the same
    LinkStats odd = new LinkStats();
    LinkStats even = new LinkStats();
    for (int i = facts.size() - 1; i >= 0; i--) {
      (i % 2 == 0 ? even : odd).add(facts.get(i));
    }
    assertThat(LinkStats.merged(odd, even)).isEqualTo(whole);
    assertThat(LinkStats.merged(even, odd)).isEqualTo(whole);
  }

  @Test
  void shouldRejectQuantilesOutsideZeroToOne() {
    assertThatThrownBy(() -> new LinkStats().durationQuantileSeconds(1.5))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new LinkStats().durationQuantileSeconds(Double.NaN))
        .isInstanceOf(IllegalArgumentException.class);
  }
}

package dev.ferry.app.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ferry.testsupport.SettableClock;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class ScenarioTest {
  @Test
  void shouldGoThroughEveryPhaseOfAFixedRunAndEndHealthy() {
    Scenario s = Scenario.standard(Duration.ofMinutes(3), null);
    assertThat(s.phases())
        .extracting(Scenario.Phase::name, p -> p.startsAt().toSeconds())
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("healthy", 0L),
            org.assertj.core.groups.Tuple.tuple("degraded", 90L),
            org.assertj.core.groups.Tuple.tuple("failing", 126L),
            org.assertj.core.groups.Tuple.tuple("recovered", 148L));
    assertThat(s.at(Duration.ofSeconds(89)).name()).isEqualTo("healthy");
    assertThat(s.at(Duration.ofSeconds(90)).condition())
        .isEqualTo(new LinkCondition.Throttled(Scenario.DEGRADED_BYTES_PER_SECOND));
    assertThat(s.at(Duration.ofSeconds(130)).condition()).isInstanceOf(LinkCondition.Broken.class);
    assertThat(s.at(Duration.ofMinutes(3)).condition()).isInstanceOf(LinkCondition.Healthy.class);
    assertThat(s.hasFaults()).isTrue();
  }

  @Test
  void shouldDegradeAfterThreeMinutesWhenRunningUntilStopped() {
    Scenario s = Scenario.standard(null, null);
    assertThat(s.at(Duration.ofMinutes(2)).name()).isEqualTo("healthy");
    assertThat(s.at(Duration.ofMinutes(4)).name()).isEqualTo("degraded");
    assertThat(s.at(Duration.ofSeconds(330)).name()).isEqualTo("failing");
    assertThat(s.at(Duration.ofHours(5)).name()).isEqualTo("recovered");
  }

  @Test
  void shouldStartTheFaultWhenToldAndFitTheRestIntoTheRun() {
    Scenario s = Scenario.standard(Duration.ofMinutes(4), Duration.ofMinutes(3));
    assertThat(s.at(Duration.ofSeconds(179)).name()).isEqualTo("healthy");
    assertThat(s.at(Duration.ofSeconds(180)).name()).isEqualTo("degraded");
    assertThat(s.at(Duration.ofSeconds(204)).name()).isEqualTo("failing");
    assertThat(s.at(Duration.ofSeconds(219)).name()).isEqualTo("recovered");
    assertThatThrownBy(() -> Scenario.standard(Duration.ofMinutes(3), Duration.ofMinutes(3)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void shouldStayHealthyWithoutFaults() {
    Scenario s = Scenario.healthy();
    assertThat(s.hasFaults()).isFalse();
    assertThat(s.at(Duration.ofHours(1)).condition()).isInstanceOf(LinkCondition.Healthy.class);
  }

  @Test
  void shouldRejectPhasesOutOfOrder() {
    assertThatThrownBy(
            () ->
                new Scenario(
                    List.of(
                        new Scenario.Phase("a", Duration.ZERO, new LinkCondition.Healthy()),
                        new Scenario.Phase("b", Duration.ZERO, new LinkCondition.Broken()))))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void shouldApplyEachPhaseToTheProxyAndAnnounceIt() throws Exception {
    SettableClock clock = new SettableClock();
    Instant start = clock.instant();
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8);
    try (FaultProxy proxy = FaultProxy.start(0, new InetSocketAddress("127.0.0.1", 9))) {
      ScenarioDriver driver =
          new ScenarioDriver(
              Scenario.standard(Duration.ofMinutes(10), Duration.ofMinutes(4)),
              proxy,
              "SITE_A → SITE_B",
              clock,
              start,
              out);
      driver.tick();
      assertThat(proxy.condition()).isInstanceOf(LinkCondition.Healthy.class);
      assertThat(buf.toString(StandardCharsets.UTF_8)).isEmpty();

      clock.advance(Duration.ofMinutes(4));
      driver.tick();
      assertThat(proxy.condition()).isInstanceOf(LinkCondition.Throttled.class);
      clock.advance(Duration.ofSeconds(150));
      driver.tick();
      driver.tick(); // nothing new: no second line
      assertThat(proxy.condition()).isInstanceOf(LinkCondition.Broken.class);
      clock.advance(Duration.ofSeconds(90));
      driver.tick();
      assertThat(proxy.condition()).isInstanceOf(LinkCondition.Healthy.class);
    }
    assertThat(buf.toString(StandardCharsets.UTF_8).lines())
        .containsExactly(
            "[4:00] link SITE_A → SITE_B degraded: bandwidth capped at 128 KiB/s",
            "[6:30] link SITE_A → SITE_B failing: connections reset, new ones refused",
            "[8:00] link SITE_A → SITE_B recovered: healthy");
  }
}

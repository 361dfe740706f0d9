package dev.ferry.app.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class AnomaliesCommandTest {

  @Test
  void shouldReadShortAndIsoDurations() {
    assertThat(AnomaliesCommand.parseSince("90s")).isEqualTo(Duration.ofSeconds(90));
    assertThat(AnomaliesCommand.parseSince("30m")).isEqualTo(Duration.ofMinutes(30));
    assertThat(AnomaliesCommand.parseSince("1h")).isEqualTo(Duration.ofHours(1));
    assertThat(AnomaliesCommand.parseSince("2D")).isEqualTo(Duration.ofDays(2));
    assertThat(AnomaliesCommand.parseSince("PT1H30M")).isEqualTo(Duration.ofMinutes(90));
  }

  @Test
  void shouldRejectWhatIsNotAPositiveDurationAsAUsageError() {
    assertThatThrownBy(() -> AnomaliesCommand.parseSince("soon"))
        .isInstanceOf(CliException.class)
        .hasMessage("--since 'soon' is not a duration such as 90s, 30m, 1h, 2d or PT1H")
        .satisfies(e -> assertThat(((CliException) e).exitCode()).isEqualTo(2));
    assertThatThrownBy(() -> AnomaliesCommand.parseSince("0m"))
        .hasMessage("--since '0m' must be positive");
  }
}

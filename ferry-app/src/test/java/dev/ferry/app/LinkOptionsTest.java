package dev.ferry.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;
import picocli.CommandLine.TypeConversionException;

class LinkOptionsTest {

  @ParameterizedTest
  @CsvSource({
    "50MiB/s, 52428800",
    "10MB/s, 10000000",
    "1.5GiB/s, 1610612736",
    "1048576, 1048576",
    "512KiB, 524288",
    "2 GB/s, 2000000000"
  })
  void shouldParseRatesInBytesPerSecond(String text, long bytes) {
    assertThat(LinkOptions.parseRate(text)).isEqualTo(bytes);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "fast", "50 MiBps", "-5MB/s", "0", "0.5B/s", "10XB/s"})
  void shouldRefuseWhatIsNotARate(String text) {
    assertThatThrownBy(() -> LinkOptions.parseRate(text))
        .isInstanceOf(TypeConversionException.class)
        .hasMessageContaining("'" + text + "'");
  }

  @Test
  void shouldParsePerLinkSettings() {
    assertThat(LinkOptions.parseOverride("SITE_A->SITE_B:concurrency=4,bandwidth=10MiB/s"))
        .isEqualTo(new LinkOptions.PerLink("SITE_A->SITE_B", 4, 10L * 1024 * 1024));
    assertThat(LinkOptions.parseOverride("a-1->b-2:bandwidth=1000"))
        .isEqualTo(new LinkOptions.PerLink("a-1->b-2", null, 1000L));
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "SITE_A->SITE_B | names no settings",
        "SITE_A:concurrency=4 | is not a link",
        "->SITE_B:concurrency=4 | is not a link",
        "A->B->C:concurrency=4 | is not a link",
        "A->B:concurrency=0 | concurrency must be 1 to 1024",
        "A->B:concurrency=many | not a whole number",
        "A->B:speed=4 | unknown setting 'speed=4'",
        "A->B:bandwidth=fast | is not a rate",
        "A->B:concurrency=2,concurrency=3 | given twice"
      })
  void shouldRefuseMalformedPerLinkSettingsSayingWhy(String text, String why) {
    assertThatThrownBy(() -> LinkOptions.parseOverride(text))
        .isInstanceOf(TypeConversionException.class)
        .hasMessageContaining(why);
  }

  @Test
  void shouldTakeTheLinkOptionsOfFerryServer() {
    ServerCommand server =
        CommandLine.populateCommand(
            new ServerCommand(),
            "--link-concurrency",
            "3",
            "--link-concurrency-mode",
            "adaptive",
            "--link-bandwidth",
            "50MiB/s",
            "--link",
            "SITE_A->SITE_B:concurrency=4,bandwidth=10MiB/s",
            "--link",
            "SITE_B->SITE_A:concurrency=1");

    ServerOptions o = server.options;
    assertThat(o.linkConcurrency).isEqualTo(3);
    assertThat(o.linkConcurrencyMode).isEqualTo(LinkOptions.Mode.ADAPTIVE);
    assertThat(o.linkBandwidth).isEqualTo(50L * 1024 * 1024);
    assertThat(o.links)
        .containsExactly(
            new LinkOptions.PerLink("SITE_A->SITE_B", 4, 10L * 1024 * 1024),
            new LinkOptions.PerLink("SITE_B->SITE_A", 1, null));
  }

  @Test
  void shouldDefaultToFixedLimitsWithoutBandwidth() {
    ServerOptions o = CommandLine.populateCommand(new ServerCommand()).options;

    assertThat(o.linkConcurrency).isNull();
    assertThat(o.linkConcurrencyMode).isEqualTo(LinkOptions.Mode.FIXED);
    assertThat(o.linkBandwidth).isNull();
    assertThat(o.links).isEmpty();
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "--link | SITE_A->SITE_B:concurrency=four | not a whole number",
        "--link-bandwidth | 50 furlongs | is not a rate",
        "--link-concurrency-mode | sometimes | is not fixed or adaptive",
        "--link-concurrency | 0 | concurrency must be 1 to 1024"
      })
  void shouldFailWithOneLineAndExitTwoBeforeStartingAnything(
      String option, String value, String why) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();

    int code =
        FerryMain.execute(
            new PrintWriter(out, true), new PrintWriter(err, true), "server", option, value);

    assertThat(code).isEqualTo(2);
    assertThat(err.toString().strip()).doesNotContain("\n").startsWith("ferry: ").contains(why);
    assertThat(out.toString()).isEmpty();
  }
}

package dev.ferry.app;

import java.math.BigDecimal;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * The per-link settings of {@code ferry server} and their parsers: {@code --link-concurrency N},
 * {@code --link-concurrency-mode fixed|adaptive}, {@code --link-bandwidth 50MiB/s} and, per link,
 * {@code --link 'SITE_A->SITE_B:concurrency=4,bandwidth=10MiB/s'}.
 *
 * <p>The parsers are picocli converters: a value they refuse becomes picocli's parameter error,
 * which {@link FerryMain} prints as one line and exits 2, before anything starts.
 */
final class LinkOptions {
  private LinkOptions() {}

  /** Whether each link's limit stays as configured or adapts below it. */
  enum Mode {
    FIXED,
    ADAPTIVE
  }

  /**
   * One {@code --link} value: a link's own concurrency and/or bandwidth; null fields keep the
   * defaults.
   */
  record PerLink(String link, Integer concurrency, Long bandwidth) {}

  private static final Pattern RATE =
      Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(B|kB|KB|MB|GB|TB|KiB|MiB|GiB|TiB)?(?:/s)?");

  private static final Map<String, Long> UNITS =
      Map.ofEntries(
          Map.entry("B", 1L),
          Map.entry("kB", 1000L),
          Map.entry("KB", 1000L),
          Map.entry("MB", 1000L * 1000),
          Map.entry("GB", 1000L * 1000 * 1000),
          Map.entry("TB", 1000L * 1000 * 1000 * 1000),
          Map.entry("KiB", 1024L),
          Map.entry("MiB", 1024L * 1024),
          Map.entry("GiB", 1024L * 1024 * 1024),
          Map.entry("TiB", 1024L * 1024 * 1024 * 1024));

  /** A link is {@code SRC->DST}: two non-empty site names, no blanks, one arrow. */
  private static boolean isLink(String link) {
    int arrow = link.indexOf("->");
    return arrow >= 1
        && arrow + 2 < link.length()
        && link.indexOf("->", arrow + 2) < 0
        && link.chars().noneMatch(Character::isWhitespace);
  }

  /**
   * Bytes per second from {@code 50MiB/s}, {@code 10MB/s}, {@code 1.5GiB/s} or a plain number of
   * bytes per second; at least 1.
   */
  static long parseRate(String text) {
    Matcher m = RATE.matcher(text == null ? "" : text.strip());
    if (!m.matches()) {
      throw new TypeConversionException(
          "'"
              + text
              + "' is not a rate: write bytes per second as e.g. 50MiB/s, 10MB/s or 1048576");
    }
    long unit = m.group(2) == null ? 1 : UNITS.get(m.group(2));
    BigDecimal bytes = new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(unit));
    if (bytes.compareTo(BigDecimal.ONE) < 0) {
      throw new TypeConversionException("'" + text + "' is below 1 byte per second");
    }
    if (bytes.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
      throw new TypeConversionException("'" + text + "' is too large a rate");
    }
    return bytes.longValue();
  }

  static int parseConcurrency(String text) {
    int n;
    try {
      n = Integer.parseInt(text == null ? "" : text.strip());
    } catch (NumberFormatException e) {
      throw new TypeConversionException("'" + text + "' is not a whole number of tasks");
    }
    if (n < 1 || n > 1024) {
      throw new TypeConversionException("concurrency must be 1 to 1024, got " + n);
    }
    return n;
  }

  /** {@code SRC->DST:concurrency=N,bandwidth=RATE}, with at least one of the two settings. */
  static PerLink parseOverride(String text) {
    String usage =
        "write SRC->DST:concurrency=N,bandwidth=RATE (quote it: '>' is special to a shell)";
    int colon = text == null ? -1 : text.indexOf(':');
    if (colon < 0) {
      throw new TypeConversionException("'" + text + "' names no settings: " + usage);
    }
    String link = text.substring(0, colon).strip();
    if (!isLink(link)) {
      throw new TypeConversionException("'" + link + "' is not a link: " + usage);
    }
    Integer concurrency = null;
    Long bandwidth = null;
    for (String setting : text.substring(colon + 1).split(",", -1)) {
      int eq = setting.indexOf('=');
      String key = eq < 0 ? setting.strip() : setting.substring(0, eq).strip();
      String value = eq < 0 ? "" : setting.substring(eq + 1).strip();
      switch (key.toLowerCase(Locale.ROOT)) {
        case "concurrency" -> {
          if (concurrency != null) {
            throw new TypeConversionException("concurrency of " + link + " given twice");
          }
          concurrency = parseConcurrency(value);
        }
        case "bandwidth" -> {
          if (bandwidth != null) {
            throw new TypeConversionException("bandwidth of " + link + " given twice");
          }
          bandwidth = parseRate(value);
        }
        default ->
            throw new TypeConversionException(
                "unknown setting '"
                    + setting.strip()
                    + "' for "
                    + link
                    + ": only concurrency and bandwidth");
      }
    }
    return new PerLink(link, concurrency, bandwidth);
  }

  static final class RateConverter implements ITypeConverter<Long> {
    @Override
    public Long convert(String value) {
      return parseRate(value);
    }
  }

  static final class ConcurrencyConverter implements ITypeConverter<Integer> {
    @Override
    public Integer convert(String value) {
      return parseConcurrency(value);
    }
  }

  static final class ModeConverter implements ITypeConverter<Mode> {
    @Override
    public Mode convert(String value) {
      return switch (value == null ? "" : value.strip().toLowerCase(Locale.ROOT)) {
        case "fixed" -> Mode.FIXED;
        case "adaptive" -> Mode.ADAPTIVE;
        default -> throw new TypeConversionException("'" + value + "' is not fixed or adaptive");
      };
    }
  }

  static final class PerLinkConverter implements ITypeConverter<PerLink> {
    @Override
    public PerLink convert(String value) {
      return parseOverride(value);
    }
  }
}

package dev.ferry.app.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import picocli.CommandLine.Option;

/**
 * Where the API is and who calls it: flags first, then {@code FERRY_URL} / {@code FERRY_TOKEN},
 * then {@code ~/.ferry/config} ({@code url=…}, {@code token=…}), then {@code
 * http://127.0.0.1:8080}.
 */
public final class ClientOptions {
  @Option(names = "--url", description = "Ferry API base URL (FERRY_URL).")
  String url;

  @Option(names = "--token", description = "Bearer token (FERRY_TOKEN).")
  String token;

  @Option(
      names = {"-o", "--output"},
      description = "Output format: ${COMPLETION-CANDIDATES} (default: table).")
  Output output = Output.table;

  /** Output formats. */
  public enum Output {
    table,
    json
  }

  static Path configFile() {
    return Path.of(System.getProperty("user.home"), ".ferry", "config");
  }

  public ApiClient client() {
    Properties config = new Properties();
    Path file = configFile();
    if (Files.isRegularFile(file)) {
      try (var in = Files.newBufferedReader(file)) {
        config.load(in);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + file, e);
      }
    }
    String u =
        first(url, System.getenv("FERRY_URL"), config.getProperty("url"), "http://127.0.0.1:8080");
    String t = first(token, System.getenv("FERRY_TOKEN"), config.getProperty("token"), null);
    if (t == null) {
      throw new CliException(
          "no token: pass --token, set FERRY_TOKEN, or put token=… in " + file, 2);
    }
    return new ApiClient(u, t);
  }

  public boolean json() {
    return output == Output.json;
  }

  private static String first(String... values) {
    for (String v : values) {
      if (v != null && !v.isBlank()) {
        return v.strip();
      }
    }
    return null;
  }
}

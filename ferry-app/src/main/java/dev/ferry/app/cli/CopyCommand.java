package dev.ferry.app.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import tools.jackson.databind.JsonNode;

/**
 * {@code ferry cp|sync SRC DST}: submits a job and, unless {@code --detach}, watches it with a
 * progress line. The exit code is the job's outcome (0 succeeded, 3 partially, 1 failed or
 * cancelled).
 */
@Command(mixinStandardHelpOptions = true)
public class CopyCommand implements Callable<Integer> {
  @Spec CommandSpec spec;
  @Mixin ClientOptions client = new ClientOptions();

  @Parameters(index = "0", paramLabel = "SRC", description = "endpoint:path to copy from")
  String source;

  @Parameters(index = "1", paramLabel = "DST", description = "endpoint:path to copy to")
  String destination;

  @Option(names = "--checksum", description = "crc32c (default), sha256, md5 or adler32")
  String checksum;

  @Option(names = "--overwrite", description = "never, if-different (default) or always")
  String overwrite;

  @Option(names = "--priority", description = "higher runs first (default 0)")
  Integer priority;

  @Option(names = "--detach", description = "submit and print the job id without waiting")
  boolean detach;

  @Option(
      names = "--idempotency-key",
      description = "resubmitting with the same key returns the same job")
  String idempotencyKey;

  String mode() {
    return "copy";
  }

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    ApiClient api = client.client();
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("source", side("SRC", source));
    body.put("destination", side("DST", destination));
    body.put("mode", mode());
    if (checksum != null) {
      body.put("checksum", checksum);
    }
    if (overwrite != null) {
      body.put("overwrite", overwrite);
    }
    if (priority != null) {
      body.put("priority", priority);
    }
    String key = idempotencyKey != null ? idempotencyKey : UUID.randomUUID().toString();
    JsonNode job = api.post("/api/v1/jobs", body, key);
    String id = job.path("id").asString();
    if (detach) {
      out.println(client.json() ? job.toPrettyString() : id);
      return 0;
    }
    if (!client.json()) {
      out.println("job " + id + ": " + source + " → " + destination);
    }
    JsonNode done = Progress.watch(api, id, out, !client.json(), Duration.ofMillis(250));
    if (client.json()) {
      out.println(done.toPrettyString());
    } else if (done.hasNonNull("lastError")) {
      out.println(
          "last error: "
              + done.path("lastError").path("file").asString("")
              + " "
              + done.path("lastError").path("message").asString(""));
    }
    return Progress.exitCode(done);
  }

  static Map<String, String> side(String what, String arg) {
    int colon = arg.indexOf(':');
    if (colon <= 0) {
      throw new CliException(
          what + " '" + arg + "' must be endpoint:path (e.g. a-files:data/in)", 2);
    }
    return Map.of("endpoint", arg.substring(0, colon), "path", arg.substring(colon + 1));
  }

  /** {@code ferry cp}. */
  @Command(name = "cp", description = "Copy endpoint:path to endpoint:path and watch the job.")
  public static final class Cp extends CopyCommand {}

  /** {@code ferry sync}. */
  @Command(name = "sync", description = "Copy only new or changed files and watch the job.")
  public static final class Sync extends CopyCommand {
    @Override
    String mode() {
      return "sync";
    }
  }
}

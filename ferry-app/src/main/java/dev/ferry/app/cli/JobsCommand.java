package dev.ferry.app.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import tools.jackson.databind.JsonNode;

/** {@code ferry jobs ls|show|files|cancel|retry|watch}. */
@Command(
    name = "jobs",
    mixinStandardHelpOptions = true,
    description = "List, inspect, cancel, retry and watch jobs.",
    subcommands = {
      JobsCommand.Ls.class,
      JobsCommand.Show.class,
      JobsCommand.Files.class,
      JobsCommand.Cancel.class,
      JobsCommand.Retry.class,
      JobsCommand.Watch.class
    })
public final class JobsCommand {
  static final Table JOBS =
      new Table()
          .column("ID", "id")
          .column("STATE", "state")
          .column(
              "SOURCE", n -> Table.text(n, "source.endpoint") + ":" + Table.text(n, "source.path"))
          .column(
              "DESTINATION",
              n -> Table.text(n, "destination.endpoint") + ":" + Table.text(n, "destination.path"))
          .column(
              "FILES",
              n ->
                  Table.text(n, "progress.files.done")
                      + "/"
                      + Table.text(n, "progress.files.total"))
          .column("FAILED", "progress.files.failed")
          .column("CREATED", "createdAt");

  abstract static class Base implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin ClientOptions client = new ClientOptions();

    PrintWriter out() {
      return spec.commandLine().getOut();
    }

    void show(JsonNode job) {
      if (client.json()) {
        out().println(job.toPrettyString());
        return;
      }
      PrintWriter o = out();
      o.println("id           " + job.path("id").asString());
      o.println("state        " + job.path("state").asString());
      o.println(
          "source       "
              + Table.text(job, "source.endpoint")
              + ":"
              + Table.text(job, "source.path")
              + "  ("
              + Table.text(job, "source.site")
              + ")");
      o.println(
          "destination  "
              + Table.text(job, "destination.endpoint")
              + ":"
              + Table.text(job, "destination.path")
              + "  ("
              + Table.text(job, "destination.site")
              + ")");
      o.println(
          "options      "
              + Table.text(job, "mode")
              + ", "
              + Table.text(job, "checksum")
              + ", overwrite "
              + Table.text(job, "overwrite")
              + ", priority "
              + Table.text(job, "priority"));
      o.println(
          "progress     " + Progress.line(job, Duration.ZERO).replaceAll(" +ETA.*", "").strip());
      o.println("created      " + Table.text(job, "createdAt"));
      o.println("started      " + Table.text(job, "startedAt"));
      o.println("finished     " + Table.text(job, "finishedAt"));
      if (job.hasNonNull("firstError")) {
        o.println(
            "first error  "
                + Table.text(job, "firstError.file")
                + ": "
                + Table.text(job, "firstError.message"));
        o.println(
            "last error   "
                + Table.text(job, "lastError.file")
                + ": "
                + Table.text(job, "lastError.message"));
      }
    }
  }

  @Command(name = "ls", mixinStandardHelpOptions = true, description = "List jobs, newest first.")
  static final class Ls extends Base {
    @Option(names = "--state", description = "only jobs in this state (e.g. running)")
    String state;

    @Option(names = "--site", description = "only jobs from or to this site")
    String site;

    @Option(names = "--limit", description = "at most this many (default ${DEFAULT-VALUE})")
    int limit = 50;

    @Override
    public Integer call() {
      StringBuilder q = new StringBuilder("/api/v1/jobs?limit=" + limit);
      if (state != null) {
        q.append("&state=").append(state);
      }
      if (site != null) {
        q.append("&site=").append(site);
      }
      JsonNode page = client.client().get(q.toString());
      JOBS.print(out(), client.json() ? page : page.path("items"), client.json());
      return 0;
    }
  }

  @Command(name = "show", mixinStandardHelpOptions = true, description = "Show one job.")
  static final class Show extends Base {
    @Parameters(paramLabel = "JOB")
    String id;

    @Override
    public Integer call() {
      show(client.client().get("/api/v1/jobs/" + id));
      return 0;
    }
  }

  @Command(
      name = "files",
      mixinStandardHelpOptions = true,
      description = "A job's files with their outcome, checksum and errors.")
  static final class Files extends Base {
    @Parameters(paramLabel = "JOB")
    String id;

    @Option(names = "--status", description = "pending, succeeded, skipped or failed")
    String status;

    @Override
    public Integer call() {
      JsonNode files =
          client
              .client()
              .get("/api/v1/jobs/" + id + "/files" + (status == null ? "" : "?status=" + status));
      new Table()
          .column("SOURCE", "source")
          .column("STATUS", "status")
          .column("BYTES", "bytes")
          .column("CHECKSUM", "checksum")
          .column("ATTEMPTS", "attempts")
          .column(
              "LAST ERROR",
              n ->
                  Table.text(n, "lastError.errorClass")
                      + (n.hasNonNull("lastError")
                          ? ": " + Table.text(n, "lastError.message")
                          : ""))
          .print(out(), files, client.json());
      return 0;
    }
  }

  @Command(name = "cancel", mixinStandardHelpOptions = true, description = "Cancel a job.")
  static final class Cancel extends Base {
    @Parameters(paramLabel = "JOB")
    String id;

    @Override
    public Integer call() {
      show(client.client().post("/api/v1/jobs/" + id + "/cancel", null));
      return 0;
    }
  }

  @Command(
      name = "retry",
      mixinStandardHelpOptions = true,
      description = "Retry the failed files of a failed or partially succeeded job.")
  static final class Retry extends Base {
    @Parameters(paramLabel = "JOB")
    String id;

    @Override
    public Integer call() {
      show(client.client().post("/api/v1/jobs/" + id + "/retry", null));
      return 0;
    }
  }

  @Command(
      name = "watch",
      mixinStandardHelpOptions = true,
      description = "Watch a job until it settles; the exit code is its outcome.")
  static final class Watch extends Base {
    @Parameters(paramLabel = "JOB")
    String id;

    @Override
    public Integer call() {
      JsonNode job =
          Progress.watch(client.client(), id, out(), !client.json(), Duration.ofMillis(250));
      if (client.json()) {
        out().println(job.toPrettyString());
      }
      return Progress.exitCode(job);
    }
  }
}

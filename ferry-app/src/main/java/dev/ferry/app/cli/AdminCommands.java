package dev.ferry.app.cli;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import tools.jackson.databind.JsonNode;

/**
 * {@code ferry sites}, {@code ferry endpoints}, {@code ferry tokens}: list by default, add, remove.
 */
public final class AdminCommands {
  private AdminCommands() {}

  abstract static class Base implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin ClientOptions client = new ClientOptions();

    PrintWriter out() {
      return spec.commandLine().getOut();
    }
  }

  static final Table SITES =
      new Table()
          .column("NAME", "name")
          .column("DESCRIPTION", "description")
          .column("CREATED", "createdAt");

  @Command(
      name = "sites",
      mixinStandardHelpOptions = true,
      description = "List sites, or add one.",
      subcommands = Sites.Add.class)
  public static final class Sites extends Base {
    @Override
    public Integer call() {
      SITES.print(out(), client.client().get("/api/v1/sites"), client.json());
      return 0;
    }

    @Command(name = "add", mixinStandardHelpOptions = true, description = "Add a site (admin).")
    static final class Add extends Base {
      @Parameters(paramLabel = "NAME")
      String name;

      @Option(names = "--description")
      String description = "";

      @Override
      public Integer call() {
        JsonNode site =
            client.client().post("/api/v1/sites", Map.of("name", name, "description", description));
        SITES.print(out(), client.client().json().createArrayNode().add(site), client.json());
        return 0;
      }
    }
  }

  static final Table ENDPOINTS =
      new Table()
          .column("ID", "id")
          .column("NAME", "name")
          .column("SITE", "site")
          .column("URI", "uri")
          .column("CREDENTIALS", n -> n.path("hasCredentials").asBoolean() ? "yes" : "no");

  @Command(
      name = "endpoints",
      mixinStandardHelpOptions = true,
      description = "List endpoints, add or remove one.",
      subcommands = {Endpoints.Add.class, Endpoints.Rm.class})
  public static final class Endpoints extends Base {
    @Override
    public Integer call() {
      ENDPOINTS.print(out(), client.client().get("/api/v1/endpoints"), client.json());
      return 0;
    }

    @Command(
        name = "add",
        mixinStandardHelpOptions = true,
        description = "Add an endpoint (admin).")
    static final class Add extends Base {
      @Parameters(paramLabel = "NAME")
      String name;

      @Option(names = "--site", required = true)
      String site;

      @Option(
          names = "--uri",
          required = true,
          description = "file:///…, s3://bucket/prefix?endpoint=…, sftp://user@host:port/path")
      String uri;

      @Option(
          names = "--credential",
          description = "key=value, repeatable (e.g. password=…); write-only")
      Map<String, String> credentials = new LinkedHashMap<>();

      @Override
      public Integer call() {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("name", name);
        body.put("site", site);
        body.put("uri", uri);
        if (!credentials.isEmpty()) {
          body.put("credentials", credentials);
        }
        JsonNode e = client.client().post("/api/v1/endpoints", body);
        ENDPOINTS.print(out(), client.client().json().createArrayNode().add(e), client.json());
        return 0;
      }
    }

    @Command(
        name = "rm",
        mixinStandardHelpOptions = true,
        description = "Remove an endpoint by id (admin).")
    static final class Rm extends Base {
      @Parameters(paramLabel = "ID")
      String id;

      @Override
      public Integer call() {
        client.client().delete("/api/v1/endpoints/" + id);
        return 0;
      }
    }
  }

  static final Table TOKENS =
      new Table()
          .column("ID", "id")
          .column("NAME", "name")
          .column("ROLE", "role")
          .column("CREATED", "createdAt")
          .column("REVOKED", "revokedAt");

  @Command(
      name = "tokens",
      mixinStandardHelpOptions = true,
      description = "List tokens, issue or revoke one (admin).",
      subcommands = {Tokens.Add.class, Tokens.Revoke.class})
  public static final class Tokens extends Base {
    @Override
    public Integer call() {
      TOKENS.print(out(), client.client().get("/api/v1/tokens"), client.json());
      return 0;
    }

    @Command(
        name = "add",
        mixinStandardHelpOptions = true,
        description = "Issue a token; its secret is printed once.")
    static final class Add extends Base {
      @Parameters(paramLabel = "NAME")
      String name;

      @Option(names = "--role", required = true, description = "admin, operator or viewer")
      String role;

      @Override
      public Integer call() {
        JsonNode t = client.client().post("/api/v1/tokens", Map.of("name", name, "role", role));
        out().println(client.json() ? t.toPrettyString() : t.path("token").asString());
        return 0;
      }
    }

    @Command(
        name = "revoke",
        mixinStandardHelpOptions = true,
        description = "Revoke a token by id.")
    static final class Revoke extends Base {
      @Parameters(paramLabel = "ID")
      String id;

      @Override
      public Integer call() {
        client.client().delete("/api/v1/tokens/" + id);
        return 0;
      }
    }
  }

  static final Table LINKS =
      new Table()
          .column(
              "LINK", n -> Table.text(n, "sourceSite") + " -> " + Table.text(n, "destinationSite"))
          .column("SUCCEEDED", "succeeded")
          .column("FAILED", "failed")
          .column("SKIPPED", "skipped")
          .column("BYTES", n -> Progress.size(n.path("bytes").asLong()))
          .column(
              "FAILURE %",
              n ->
                  String.format(
                      java.util.Locale.ROOT, "%.1f", 100 * n.path("failureRatio").asDouble()))
          .column(
              "P95 S",
              n ->
                  n.hasNonNull("durationP95Seconds")
                      ? String.format(
                          java.util.Locale.ROOT, "%.2f", n.path("durationP95Seconds").asDouble())
                      : "")
          .column("LAST", "lastEventTime");

  /** {@code ferry links}: per-link totals from the telemetry role. */
  @Command(
      name = "links",
      mixinStandardHelpOptions = true,
      description = "Per-link transfer totals from the telemetry role.")
  public static final class Links extends Base {
    @Override
    public Integer call() {
      LINKS.print(out(), client.client().get("/api/v1/links"), client.json());
      return 0;
    }
  }

  /** {@code ferry check}: the consistency checker's latest report; exit 4 when anything drifts. */
  @Command(
      name = "check",
      mixinStandardHelpOptions = true,
      description = "Consistency of database, Kafka, stream and /metrics; exit 4 on drift.")
  public static final class Check extends Base {
    @Override
    public Integer call() {
      JsonNode report = client.client().get("/api/v1/consistency");
      if (client.json()) {
        out().println(report.toPrettyString());
      } else {
        out()
            .println(
                "status "
                    + Table.text(report, "status")
                    + " at "
                    + Table.text(report, "checkedAt"));
        new Table()
            .column("CHECK", "check")
            .column(
                "LINK",
                n -> Table.text(n, "sourceSite") + " -> " + Table.text(n, "destinationSite"))
            .column(
                "MEASURE",
                n ->
                    Table.text(n, "measure")
                        + (n.hasNonNull("outcome") ? " " + Table.text(n, "outcome") : ""))
            .column("EXPECTED", "expected")
            .column("ACTUAL", "actual")
            .column("DRIFT", "drift")
            .column("STATUS", "status")
            .column("SINCE", "since")
            .print(out(), report.path("checks"), false);
      }
      return "ok".equals(report.path("status").asString()) ? 0 : 4;
    }
  }
}

package dev.ferry.app.demo;

import dev.ferry.storage.sftp.SftpEndpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import tools.jackson.databind.JsonNode;

/**
 * Brings the demo tenant to the state the workload needs, through the API only, reusing what an
 * earlier run made: the tenant and its admin token ({@code <data-dir>/demo-token}), the three
 * sites, the four endpoints, and SITE_C's copy of the sample datasets. Nothing is created twice: a
 * site that exists answers 409 and is kept; an endpoint is kept when its URI and credentials are
 * those recorded in {@link DemoState}, and otherwise deleted and registered again (a server moved
 * to another port, for example).
 */
public final class DemoSetup {
  public static final String A_LOCAL = "a-local";
  public static final String B_SFTP = "b-sftp";
  public static final String B_SFTP_WAN = "b-sftp-wan";
  public static final String C_S3 = "c-s3";

  private DemoSetup() {}

  /**
   * The demo tenant's admin token: made once through the root admin token, kept in {@code
   * <data-dir>/demo-token} (0600), made again if the server no longer accepts it.
   */
  public static String tenantToken(DemoApi root, Path dataDir, Clock clock) throws IOException {
    Path file = dataDir.resolve("demo-token");
    if (Files.exists(file)) {
      String token = Files.readString(file).strip();
      if (root.withToken(token).get("/api/v1/sites").status() != 401) {
        return token;
      }
    }
    JsonNode created =
        root.expect(
            "POST",
            "/api/v1/tenants",
            root.post(
                "/api/v1/tenants", Map.of("name", "demo-" + clock.instant().getEpochSecond())));
    String token = created.get("adminToken").get("token").asString();
    Files.writeString(file, token + "\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    return token;
  }

  /** Creates SITE_A, SITE_B and SITE_C unless they exist. */
  public static void sites(DemoApi api) {
    Map<String, String> sites = new LinkedHashMap<>();
    sites.put("SITE_A", "demo: a local directory");
    sites.put("SITE_B", "demo: an in-process SFTP server");
    sites.put("SITE_C", "demo: an in-process S3 server");
    for (Map.Entry<String, String> s : sites.entrySet()) {
      DemoApi.Response r =
          api.post("/api/v1/sites", Map.of("name", s.getKey(), "description", s.getValue()));
      if (!r.ok() && r.status() != 409) {
        api.expect("POST", "/api/v1/sites", r);
      }
    }
  }

  /** One endpoint as the demo wants it registered. */
  public record Wanted(String name, String site, String uri, Map<String, String> credentials) {
    public Wanted {
      credentials = Map.copyOf(credentials);
    }

    /** What {@link DemoState} records: a digest of the URI and credentials, not the secrets. */
    String digest() {
      try {
        MessageDigest d = MessageDigest.getInstance("SHA-256");
        d.update(uri.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        for (Map.Entry<String, String> e : new TreeMap<>(credentials).entrySet()) {
          d.update(
              ("\n" + e.getKey() + "=" + e.getValue())
                  .getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        return HexFormat.of().formatHex(d.digest());
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
    }
  }

  /** The four endpoints for the servers as they run now. */
  public static List<Wanted> wanted(DemoSites sites, DemoState state) {
    Map<String, String> sftp =
        Map.of(
            SftpEndpoint.PASSWORD,
            state.secret("sftp.password"),
            SftpEndpoint.HOST_KEY_FINGERPRINT,
            sites.sftp().fingerprint());
    String s3Access = "FERRYDEMO" + state.secret("s3.access-key").substring(0, 11).toUpperCase();
    return List.of(
        new Wanted(A_LOCAL, "SITE_A", sites.siteA().toAbsolutePath().toUri().toString(), Map.of()),
        new Wanted(
            B_SFTP,
            "SITE_B",
            "sftp://" + DemoSftpServer.USER + "@127.0.0.1:" + sites.sftp().port() + "/",
            sftp),
        new Wanted(
            B_SFTP_WAN,
            "SITE_B",
            "sftp://" + DemoSftpServer.USER + "@127.0.0.1:" + sites.wan().port() + "/",
            sftp),
        new Wanted(
            C_S3,
            "SITE_C",
            "s3://"
                + DemoS3Server.BUCKET
                + "?endpoint="
                + sites.s3().endpoint()
                + "&region="
                + DemoS3Server.REGION,
            Map.of("accessKeyId", s3Access, "secretAccessKey", state.secret("s3.secret-key"))));
  }

  /**
   * Registers each wanted endpoint unless it is registered as wanted already.
   *
   * @return the names registered (again) now
   */
  public static List<String> endpoints(DemoApi api, List<Wanted> wanted, DemoState state) {
    JsonNode list = api.expect("GET", "/api/v1/endpoints", api.get("/api/v1/endpoints"));
    Map<String, JsonNode> existing = new TreeMap<>();
    for (JsonNode e : list) {
      existing.put(e.get("name").asString(), e);
    }
    List<String> registered = new java.util.ArrayList<>();
    for (Wanted w : wanted) {
      JsonNode e = existing.get(w.name());
      String digest = w.digest();
      if (e != null
          && e.get("uri").asString().equals(w.uri())
          && digest.equals(state.get("endpoint." + w.name()))) {
        continue;
      }
      if (e != null) {
        String path = "/api/v1/endpoints/" + e.get("id").asString();
        DemoApi.Response r = api.delete(path);
        if (!r.ok() && r.status() != 404) {
          api.expect("DELETE", path, r);
        }
      }
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("name", w.name());
      body.put("site", w.site());
      body.put("uri", w.uri());
      if (!w.credentials().isEmpty()) {
        body.put("credentials", w.credentials());
      }
      api.expect("POST", "/api/v1/endpoints", api.post("/api/v1/endpoints", body));
      state.set("endpoint." + w.name(), digest);
      registered.add(w.name());
    }
    return registered;
  }

  /**
   * Copies SITE_A's {@code datasets} to SITE_C once, with a Ferry job, so that the C → A route has
   * something to read; waits for it.
   *
   * @throws IllegalStateException when the job does not succeed within {@code timeout}
   */
  public static void seedSiteC(DemoApi api, DemoState state, Clock clock, Duration timeout)
      throws InterruptedException {
    if ("true".equals(state.get("c.seeded"))) {
      return;
    }
    JsonNode job =
        api.expect(
            "POST",
            "/api/v1/jobs",
            api.post(
                "/api/v1/jobs",
                Map.of(
                    "source",
                    Map.of("endpoint", A_LOCAL, "path", "datasets"),
                    "destination",
                    Map.of("endpoint", C_S3, "path", "datasets"),
                    "overwrite",
                    "always",
                    "checksum",
                    "crc32c"),
                "demo-seed-c-" + clock.instant().getEpochSecond()));
    String id = job.get("id").asString();
    Instant deadline = clock.instant().plus(timeout);
    String s = job.get("state").asString();
    while (!terminal(s) && clock.instant().isBefore(deadline)) {
      Thread.sleep(250); // polling the API at a modest pace; the seed takes seconds
      s =
          api.expect("GET", "/api/v1/jobs/" + id, api.get("/api/v1/jobs/" + id))
              .get("state")
              .asString();
    }
    if (!s.equalsIgnoreCase("SUCCEEDED")) {
      throw new IllegalStateException(
          "seeding SITE_C (job " + id + ", a-local:datasets → c-s3:datasets) ended " + s);
    }
    state.set("c.seeded", "true");
  }

  static boolean terminal(String state) {
    return switch (state.toUpperCase().replace('-', '_')) {
      case "SUCCEEDED", "PARTIALLY_SUCCEEDED", "FAILED", "CANCELLED" -> true;
      default -> false;
    };
  }
}

package dev.ferry.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.model.ChecksumAlgorithm;
import dev.ferry.model.Json;
import dev.ferry.storage.Checksums;
import dev.ferry.storage.LocalFileSystemEndpoint;
import dev.ferry.storage.s3.S3Endpoint;
import dev.ferry.storage.s3.TestS3;
import dev.ferry.storage.sftp.TestSftpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.model.S3Object;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The round trip issue 3 asks for, through the whole platform: local → S3 → SFTP → local, three
 * jobs submitted to the REST API of one embedded Ferry (PostgreSQL, Kafka, control plane, worker),
 * against a real S3 server (s3proxy, in process) and a real SFTP server (MINA SSHD, in process),
 * with the endpoints and their credentials registered through the API.
 *
 * <p>The tree has empty files, a 200 MiB file (generated from a seeded PRNG in the temp directory,
 * never committed; large enough to take the chunked, per-chunk-verified path at every hop:
 * multipart upload into S3, a kept temporary file on SFTP and on disk), unicode names and nested
 * folders. At the end the final copy has the same bytes as the source, each job's recorded CRC32C
 * of each file equals the source's, the 200 MiB file's CRC32C and SHA-256 match, S3's own
 * whole-object CRC32C matches, and no hop holds anything else: no open multipart upload, no key
 * beyond the tree, no temporary file on the SFTP server or the final disk.
 */
class RoundTripIT {
  private static final int MIB = 1024 * 1024;
  private static final String LARGE = "tree/big/large-200MiB.bin";

  private final JsonMapper json = Json.mapper();
  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void shouldCarryATreeFromLocalToS3ToSftpToLocalWithIdenticalBytesAndChecksums(@TempDir Path tmp)
      throws Exception {
    Path siteA = Files.createDirectories(tmp.resolve("site-a"));
    Path siteB = Files.createDirectories(tmp.resolve("site-b"));
    Path sftpRoot = Files.createDirectories(tmp.resolve("sftp-root"));
    Path sftpBase = Files.createDirectories(sftpRoot.resolve("base"));
    long t0 = System.nanoTime();
    Map<String, String> crc32c = buildTree(siteA);
    String largeSha256 = sha256(siteA.resolve(LARGE));
    Map<String, Long> millis = new LinkedHashMap<>();
    millis.put("generate tree", (System.nanoTime() - t0) / 1_000_000);

    TestS3 s3 = TestS3.get();
    String bucket = s3.newBucket();
    URI s3Uri = s3.uri(bucket, "ferry");
    ServerOptions options = new ServerOptions();
    options.dataDir = tmp.resolve("data");
    options.port = 0;
    options.roles = "control,worker";
    PrintStream quiet = new PrintStream(new ByteArrayOutputStream());

    Map<String, JsonNode> jobs = new LinkedHashMap<>();
    t0 = System.nanoTime();
    try (TestSftpServer sftp = TestSftpServer.start(sftpRoot);
        FerryRuntime rt = FerryRuntime.start(options, true, quiet)) {
      millis.put("start servers and platform", (System.nanoTime() - t0) / 1_000_000);
      String base = rt.baseUrl();
      String root = Files.readString(options.dataDir.resolve("admin-token")).strip();
      JsonNode tenant = send(base, root, "POST", "/api/v1/tenants", Map.of("name", "round-trip"));
      String token = tenant.get("adminToken").get("token").asString();
      for (String site : List.of("SITE_A", "SITE_S3", "SITE_SFTP", "SITE_B")) {
        send(base, token, "POST", "/api/v1/sites", Map.of("name", site));
      }
      endpoint(base, token, "a", "SITE_A", siteA.toUri().toString(), Map.of());
      endpoint(base, token, "s3", "SITE_S3", s3Uri.toString(), s3.credentials());
      endpoint(
          base,
          token,
          "sftp",
          "SITE_SFTP",
          sftp.uri("/base").toString(),
          sftp.passwordCredentials());
      endpoint(base, token, "b", "SITE_B", siteB.toUri().toString(), Map.of());

      for (String[] hop : new String[][] {{"a", "s3"}, {"s3", "sftp"}, {"sftp", "b"}}) {
        t0 = System.nanoTime();
        jobs.put(hop[0] + " → " + hop[1], copy(base, token, hop[0], hop[1]));
        millis.put("job " + hop[0] + " → " + hop[1], (System.nanoTime() - t0) / 1_000_000);
      }

      // Every hop recorded, per file, the CRC32C of the source's bytes.
      for (Map.Entry<String, JsonNode> job : jobs.entrySet()) {
        assertThat(recordedChecksums(base, token, job.getValue()))
            .as("checksums recorded by the %s job", job.getKey())
            .isEqualTo(crc32c);
      }
    }

    // where the test's time goes (informational; speed is measured in bench/, not here)
    System.out.println("RoundTripIT phases (ms): " + millis);

    // The final copy: the same files, byte for byte, and nothing else.
    assertThat(filesUnder(siteB.resolve("tree"))).isEqualTo(filesUnder(siteA.resolve("tree")));
    for (String rel : crc32c.keySet()) {
      assertThat(Files.mismatch(siteA.resolve(rel), siteB.resolve(rel))).as(rel).isEqualTo(-1L);
      assertThat(crc32c(siteB.resolve(rel))).as(rel).isEqualTo(crc32c.get(rel));
    }
    assertThat(Files.size(siteB.resolve(LARGE))).isEqualTo(200L * MIB);
    assertThat(sha256(siteB.resolve(LARGE))).isEqualTo(largeSha256);

    // S3: exactly the tree's keys, no open upload, S3's own CRC32C of the large object matches.
    assertThat(s3.openUploads(bucket)).as("open multipart uploads").isEmpty();
    assertThat(
            s3.admin().listObjectsV2Paginator(b -> b.bucket(bucket)).contents().stream()
                .map(S3Object::key)
                .sorted()
                .toList())
        .isEqualTo(crc32c.keySet().stream().map(k -> "ferry/" + k).sorted().toList());
    try (S3Endpoint direct = S3Endpoint.open(s3Uri, s3.credentials())) {
      assertThat(direct.checksum(LARGE, ChecksumAlgorithm.CRC32C)).contains(crc32c.get(LARGE));
    }

    // SFTP and the final disk: the same files, no temporary file left anywhere.
    assertThat(filesUnder(sftpBase.resolve("tree"))).isEqualTo(filesUnder(siteA.resolve("tree")));
    assertThat(temporaryFiles(sftpRoot)).as("temporary files on the SFTP server").isEmpty();
    assertThat(temporaryFiles(siteB)).as("temporary files at the destination").isEmpty();
    assertThat(Files.mismatch(siteA.resolve(LARGE), sftpBase.resolve(LARGE))).isEqualTo(-1L);
  }

  /**
   * Writes the source tree under {@code root}: empty files, a 200 MiB file, unicode names, nested
   * folders and some small files.
   *
   * @return CRC32C (hex, as Ferry records it) of every file, by path relative to {@code root}
   */
  private static Map<String, String> buildTree(Path root) throws IOException {
    SplittableRandom random = new SplittableRandom(20_260_000L);
    Map<String, byte[]> small = new LinkedHashMap<>();
    small.put("tree/empty.txt", new byte[0]);
    small.put("tree/nested/deeper/still/empty.bin", new byte[0]);
    small.put("tree/données/été.txt", "bonjour l'été\n".getBytes(StandardCharsets.UTF_8));
    small.put("tree/日本語/ファイル.bin", bytes(random, 70_000));
    small.put("tree/emoji/🚢 ferry.txt", "⛴ 🚢\n".getBytes(StandardCharsets.UTF_8));
    small.put("tree/mixed/Ωmega ü.csv", bytes(random, 12_345));
    small.put("tree/a/b/c/d/e/f/g.txt", "deep\n".getBytes(StandardCharsets.UTF_8));
    for (int i = 0; i < 12; i++) {
      small.put(
          "tree/many/" + (i % 3) + "/file-" + i + ".dat", bytes(random, random.nextInt(64 * 1024)));
    }
    Map<String, String> crc = new TreeMap<>();
    for (Map.Entry<String, byte[]> f : small.entrySet()) {
      Path p = root.resolve(f.getKey());
      Files.createDirectories(p.getParent());
      Files.write(p, f.getValue());
      crc.put(f.getKey(), Checksums.of(ChecksumAlgorithm.CRC32C, f.getValue()));
    }
    Path large = root.resolve(LARGE);
    Files.createDirectories(large.getParent());
    CRC32C largeCrc = new CRC32C();
    byte[] block = new byte[MIB];
    try (OutputStream out = Files.newOutputStream(large)) {
      for (int i = 0; i < 200; i++) {
        random.nextBytes(block);
        largeCrc.update(block);
        out.write(block);
      }
    }
    crc.put(LARGE, HexFormat.of().toHexDigits((int) largeCrc.getValue()));
    return crc;
  }

  private static byte[] bytes(SplittableRandom random, int size) {
    byte[] b = new byte[size];
    random.nextBytes(b);
    return b;
  }

  private void endpoint(
      String base, String token, String name, String site, String uri, Map<String, String> creds)
      throws Exception {
    Map<String, Object> body = new HashMap<>(Map.of("name", name, "site", site, "uri", uri));
    if (!creds.isEmpty()) {
      body.put("credentials", creds);
    }
    JsonNode created = send(base, token, "POST", "/api/v1/endpoints", body);
    for (String secret : creds.values()) {
      assertThat(created.toString()).as("no credential echoed").doesNotContain(secret);
    }
  }

  /** Copies {@code tree} from one endpoint to the other and waits for the job to succeed. */
  private JsonNode copy(String base, String token, String from, String to) throws Exception {
    JsonNode job =
        send(
            base,
            token,
            "POST",
            "/api/v1/jobs",
            Map.of(
                "source", Map.of("endpoint", from, "path", "tree"),
                "destination", Map.of("endpoint", to, "path", "tree"),
                "checksum", "crc32c"));
    String id = job.get("id").asString();
    JsonNode done =
        Awaitility.await("job " + from + " → " + to + " finished")
            .atMost(Duration.ofMinutes(4))
            .pollInterval(Duration.ofMillis(200))
            .until(
                () -> send(base, token, "GET", "/api/v1/jobs/" + id, null),
                j ->
                    List.of("SUCCEEDED", "FAILED", "PARTIALLY_SUCCEEDED", "CANCELLED")
                        .contains(j.get("state").asString()));
    assertThat(done.get("state").asString())
        .as(
            "job %s → %s: %s",
            from, to, send(base, token, "GET", "/api/v1/jobs/" + id + "/tasks", null))
        .isEqualTo("SUCCEEDED");
    return done;
  }

  /** The checksum each task result recorded, by source path. */
  private Map<String, String> recordedChecksums(String base, String token, JsonNode job)
      throws Exception {
    Map<String, String> checksums = new TreeMap<>();
    String id = job.get("id").asString();
    for (JsonNode task : send(base, token, "GET", "/api/v1/jobs/" + id + "/tasks", null)) {
      task.get("results")
          .properties()
          .forEach(e -> checksums.put(e.getKey(), e.getValue().get("checksum").asString()));
    }
    return checksums;
  }

  /** Paths of the regular files under {@code dir}, relative to it, with their sizes. */
  private static Map<String, Long> filesUnder(Path dir) throws IOException {
    Map<String, Long> files = new TreeMap<>();
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path f : all.filter(Files::isRegularFile).toList()) {
        files.put(dir.relativize(f).toString(), Files.size(f));
      }
    }
    return files;
  }

  private static List<String> temporaryFiles(Path dir) throws IOException {
    try (Stream<Path> all = Files.walk(dir)) {
      return all.map(p -> p.getFileName().toString())
          .filter(n -> n.startsWith(LocalFileSystemEndpoint.TEMP_PREFIX))
          .toList();
    }
  }

  private static String crc32c(Path file) throws IOException {
    CRC32C crc = new CRC32C();
    byte[] buffer = new byte[MIB];
    try (InputStream in = Files.newInputStream(file)) {
      for (int n; (n = in.read(buffer)) > 0; ) {
        crc.update(buffer, 0, n);
      }
    }
    return HexFormat.of().toHexDigits((int) crc.getValue());
  }

  private static String sha256(Path file) throws IOException {
    MessageDigest digest;
    try {
      digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    byte[] buffer = new byte[MIB];
    try (InputStream in = Files.newInputStream(file)) {
      for (int n; (n = in.read(buffer)) > 0; ) {
        digest.update(buffer, 0, n);
      }
    }
    return HexFormat.of().formatHex(digest.digest());
  }

  private JsonNode send(String base, String token, String method, String path, Object body)
      throws IOException, InterruptedException {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(base + path))
            .header("Authorization", "Bearer " + token)
            .header("Content-Type", "application/json")
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(json.writeValueAsString(body)));
    HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(method + " " + path + ": " + r.body()).isLessThan(300);
    return json.readTree(r.body());
  }
}

package dev.ferry.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ferry.model.Json;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Checks the container image tarball that {@code mvn -Pimage package} writes (Jib's {@code
 * buildTar}, on the base image of {@code deploy/image/base-image.sh}): its manifest, its
 * configuration (entrypoint, user, port, environment), its layers, and that the entrypoint runs.
 *
 * <p>Not a default test: it runs only in the {@code image} profile ({@code mvn -Pimage verify}),
 * where failsafe includes it and passes the tarball's path; no Docker daemon is involved. To run
 * the image without a container runtime, the layers are unpacked in order into a directory and the
 * entrypoint runs there under {@code chroot} with a private {@code /proc} ({@code unshare}), as the
 * image's user, with the image's environment — which proves the jlinked runtime finds every shared
 * library it needs inside the image and none from the host.
 */
class ImageTarCheck {
  /** Host tools, by absolute path: the child's PATH is the image's. */
  private static final String HOST_UNSHARE = hostTool("unshare");

  private static final String HOST_CHROOT = hostTool("chroot");

  private static Path tar;
  private static JsonNode manifest;
  private static JsonNode config;

  @BeforeAll
  static void readImage(@TempDir Path dir) throws Exception {
    String path = System.getProperty("ferry.image.tar");
    assertThat(path).as("system property ferry.image.tar (set by the image profile)").isNotNull();
    tar = Path.of(path);
    assertThat(tar).as("the image tarball; build it with mvn -Pimage package").isRegularFile();
    run(dir, List.of("tar", "-xf", tar.toString(), "-C", dir.toString()), 60);
    manifest = Json.mapper().readTree(Files.readString(dir.resolve("manifest.json")));
    config =
        Json.mapper()
            .readTree(Files.readString(dir.resolve(manifest.get(0).get("Config").asString())));
  }

  @Test
  void manifestNamesTheImageAndItsLayers() {
    assertThat(manifest.size()).as("images in the tarball").isEqualTo(1);
    JsonNode image = manifest.get(0);
    assertThat(image.get("RepoTags").get(0).asString()).isEqualTo("ghcr.io/ferry-dev/ferry:0.1.0");
    List<String> layers = strings(image.get("Layers"));
    List<String> diffIds = strings(config.get("rootfs").get("diff_ids"));
    // the base image's one layer, then Jib's: dependencies, snapshot dependencies, resources,
    // classes (an empty one is left out)
    assertThat(layers).hasSizeGreaterThanOrEqualTo(3).hasSameSizeAs(diffIds);
    assertThat(config.get("architecture").asString()).isIn("amd64", "arm64");
    assertThat(config.get("os").asString()).isEqualTo("linux");
  }

  @Test
  void configurationRunsFerryAsTheUnprivilegedUser() {
    JsonNode c = config.get("config");
    assertThat(strings(c.get("Entrypoint")))
        .containsExactly("java", "-cp", "@/app/jib-classpath-file", "dev.ferry.app.FerryMain");
    assertThat(c.get("User").asString()).isEqualTo("10001:10001");
    assertThat(c.get("WorkingDir").asString()).isEqualTo("/tmp");
    assertThat(c.get("ExposedPorts").has("8080/tcp")).isTrue();
    assertThat(strings(c.get("Env")))
        .contains(
            "JAVA_HOME=/opt/java",
            "FERRY_VERSION=" + System.getProperty("ferry.image.version", "0.1.0-SNAPSHOT"))
        .anyMatch(e -> e.startsWith("PATH=/opt/java/bin:"));
    assertThat(c.get("Labels").get("org.opencontainers.image.title").asString()).isEqualTo("ferry");
  }

  @Test
  void entrypointRunsInsideTheUnpackedImage(@TempDir Path dir) throws Exception {
    Path root = dir.resolve("rootfs");
    Files.createDirectories(root);
    Path layersDir = dir.resolve("tar");
    Files.createDirectories(layersDir);
    run(dir, List.of("tar", "-xf", tar.toString(), "-C", layersDir.toString()), 60);
    for (String layer : strings(manifest.get(0).get("Layers"))) {
      // Jib writes gzip-compressed layers, the base image script an uncompressed one; tar -xf
      // detects either
      run(
          dir,
          List.of("tar", "-xf", layersDir.resolve(layer).toString(), "-C", root.toString()),
          120);
    }
    assertThat(root.resolve("opt/java/bin/java")).isExecutable();
    assertThat(root.resolve("app/jib-classpath-file")).isRegularFile();
    assumeTrue(
        canChroot(dir),
        "needs root or unprivileged user namespaces for chroot; not available here");

    // The entrypoint, with its `java` resolved through the image's PATH (inside the root), run
    // with exactly the image's environment.
    JsonNode c = config.get("config");
    List<String> env = strings(c.get("Env"));
    List<String> entrypoint = strings(c.get("Entrypoint"));
    String path =
        env.stream().filter(e -> e.startsWith("PATH=")).findFirst().orElseThrow().substring(5);
    String java = null;
    for (String d : path.split(":")) {
      if (Files.isExecutable(root.resolve(d.substring(1)).resolve(entrypoint.get(0)))) {
        java = d + "/" + entrypoint.get(0);
        break;
      }
    }
    assertThat(java).as("%s on the image's PATH %s", entrypoint.get(0), path).isNotNull();
    List<String> command = new ArrayList<>(unshareChroot(root, c.get("User").asString()));
    command.add(java);
    command.addAll(entrypoint.subList(1, entrypoint.size()));
    command.add("--version");
    Result r = run(dir, command, 120, env);
    assertThat(r.exit()).as("exit code of %s; output:%n%s", command, r.output()).isZero();
    assertThat(r.output().strip())
        .isEqualTo("ferry " + System.getProperty("ferry.image.version", "0.1.0-SNAPSHOT"));
  }

  private static List<String> unshareChroot(Path root, String user) {
    List<String> cmd = new ArrayList<>();
    cmd.add(HOST_UNSHARE);
    if (!isRoot()) {
      cmd.add("--map-root-user");
    }
    cmd.addAll(
        List.of(
            "--mount",
            "--pid",
            "--fork",
            "--mount-proc=" + root.resolve("proc"),
            HOST_CHROOT,
            isRoot() ? "--userspec=" + user : "--skip-chdir",
            root.toString()));
    return cmd;
  }

  private static boolean canChroot(Path dir) {
    try {
      Path probe = dir.resolve("probe");
      Files.createDirectories(probe.resolve("proc"));
      List<String> cmd = new ArrayList<>(unshareChroot(probe, "0:0"));
      cmd.add("/nonexistent"); // chroot works if it gets as far as not finding the program
      Result r = run(dir, cmd, 30, List.of());
      return r.output().contains("/nonexistent");
    } catch (IOException | InterruptedException | AssertionError e) {
      return false;
    }
  }

  private static String hostTool(String name) {
    for (String d : List.of("/usr/bin", "/usr/sbin", "/bin", "/sbin")) {
      if (Files.isExecutable(Path.of(d, name))) {
        return d + "/" + name;
      }
    }
    return name;
  }

  private static boolean isRoot() {
    return "root".equals(System.getProperty("user.name"));
  }

  private static List<String> strings(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asString()));
    return out;
  }

  private record Result(int exit, String output) {}

  private static Result run(Path dir, List<String> command, int timeoutSeconds)
      throws IOException, InterruptedException {
    return run(dir, command, timeoutSeconds, List.of("PATH=/usr/sbin:/usr/bin:/sbin:/bin"));
  }

  /** Runs {@code command} with exactly the environment {@code env} ({@code NAME=value}). */
  private static Result run(Path dir, List<String> command, int timeoutSeconds, List<String> env)
      throws IOException, InterruptedException {
    ProcessBuilder pb =
        new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
    pb.environment().clear();
    for (String e : env) {
      int eq = e.indexOf('=');
      pb.environment().put(e.substring(0, eq), e.substring(eq + 1));
    }
    Process p = pb.start();
    byte[] out;
    try (InputStream in = p.getInputStream()) {
      out = in.readAllBytes();
    }
    if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError(command + " did not finish within " + timeoutSeconds + " s");
    }
    return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
  }
}

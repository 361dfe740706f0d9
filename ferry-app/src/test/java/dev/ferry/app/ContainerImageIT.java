package dev.ferry.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ferry.model.Json;
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
 * The container image that {@code mvn verify} builds (profile {@code image}: a base image made
 * offline by {@code deploy/image/build-base-image.sh}, the application layered on by Jib), checked
 * the way a container runtime would use it, without one: its config (entrypoint, user, port,
 * environment) is read from the tarball, its layers are unpacked in order into a root file system,
 * and the entrypoint runs there under {@code chroot} as the image's user, with a fresh {@code
 * /proc}, the image's environment and nothing from this machine's JDK.
 *
 * <p>Skipped only when the image was not built ({@code -Dferry.image.skip}).
 */
class ContainerImageIT {
  private static Path imageTar;
  private static JsonNode config;

  @TempDir static Path work;

  @BeforeAll
  static void unpack() throws Exception {
    String tar = System.getProperty("ferry.image.tar");
    assumeTrue(tar != null, "the image was not built (-Dferry.image.skip)");
    imageTar = Path.of(tar);
    assertThat(imageTar).as("the image tarball the build made").isRegularFile();
    Path archive = Files.createDirectories(work.resolve("archive"));
    run(List.of("tar", "-xf", imageTar.toString(), "-C", archive.toString()), null);
    JsonNode manifest = Json.mapper().readTree(archive.resolve("manifest.json").toFile()).get(0);
    config = Json.mapper().readTree(archive.resolve(manifest.get("Config").asString()).toFile());
    Path root = Files.createDirectories(work.resolve("rootfs"));
    for (JsonNode layer : manifest.get("Layers")) {
      run(
          List.of(
              "tar", "-xf", archive.resolve(layer.asString()).toString(), "-C", root.toString()),
          null);
    }
  }

  @Test
  void shouldDescribeTheContainerTheManifestsExpect() {
    JsonNode c = config.get("config");
    assertThat(config.get("os").asString()).isEqualTo("linux");
    assertThat(strings(c.get("Entrypoint")))
        .containsExactly("java", "-cp", "@/app/jib-classpath-file", "dev.ferry.app.FerryMain");
    assertThat(c.get("User").asString())
        .as("numeric, as deploy/k8s runs it")
        .isEqualTo("10001:10001");
    assertThat(c.get("ExposedPorts").has("8080/tcp")).isTrue();
    assertThat(strings(c.get("Env"))).contains("JAVA_HOME=/opt/java");
    assertThat(config.get("rootfs").get("diff_ids").size())
        .as("the base layer and Jib's application layers")
        .isGreaterThan(1);
  }

  @Test
  void shouldRunFerryFromTheImageAloneAsItsUser() throws Exception {
    String version = runInImage("--version");
    assertThat(version.strip()).isEqualTo("ferry " + System.getProperty("ferry.image.version"));

    String help = runInImage("server", "--help");
    assertThat(help).contains("--roles");
  }

  /** The entrypoint plus {@code args}, under chroot in the unpacked image; returns its output. */
  private static String runInImage(String... args) throws Exception {
    Path root = work.resolve("rootfs");
    boolean isRoot = ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
    // The host's tools by absolute path: the process gets the image's PATH, not this machine's.
    List<String> cmd = new ArrayList<>(List.of(hostTool("unshare")));
    if (!isRoot) {
      cmd.add("-r"); // a user namespace makes chroot possible without root (then as mapped root)
    }
    cmd.addAll(
        List.of("-m", "-p", "-f", "--mount-proc=" + root.resolve("proc"), hostTool("chroot")));
    if (isRoot) {
      cmd.add("--userspec=" + config.get("config").get("User").asString());
    }
    cmd.add(root.toString());
    cmd.addAll(strings(config.get("config").get("Entrypoint")));
    cmd.addAll(List.of(args));
    return run(cmd, strings(config.get("config").get("Env")));
  }

  private static String run(List<String> cmd, List<String> env) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    if (env != null) {
      pb.environment().clear();
      for (String kv : env) {
        int eq = kv.indexOf('=');
        pb.environment().put(kv.substring(0, eq), kv.substring(eq + 1));
      }
    }
    Path out = Files.createTempFile(work, "out", ".txt");
    Process p = pb.redirectOutput(out.toFile()).start();
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("%s finished", cmd).isTrue();
    String text = Files.readString(out, StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as("exit code of %s, output:%n%s", cmd, text).isZero();
    return text;
  }

  private static String hostTool(String name) {
    String path = System.getenv("PATH") + ":/usr/sbin:/sbin:/usr/bin:/bin";
    for (String dir : path.split(":")) {
      Path p = Path.of(dir.isEmpty() ? "." : dir, name);
      if (Files.isExecutable(p)) {
        return p.toAbsolutePath().toString();
      }
    }
    throw new AssertionError(name + " is not installed (util-linux / coreutils)");
  }

  private static List<String> strings(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asString()));
    return out;
  }
}

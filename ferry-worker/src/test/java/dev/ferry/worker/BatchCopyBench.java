package dev.ferry.worker;

import dev.ferry.model.ChecksumAlgorithm;
import dev.ferry.model.OverwritePolicy;
import dev.ferry.model.TransferMode;
import dev.ferry.model.protocol.EndpointRef;
import dev.ferry.model.protocol.FileItem;
import dev.ferry.model.protocol.HeartbeatResponse;
import dev.ferry.model.protocol.Lease;
import dev.ferry.model.protocol.TaskDispatched;
import dev.ferry.worker.FakeControlPlane.Answer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * A quick local measurement of one batch task, not a test: {@code files} small files copied by
 * {@link Worker#handle} (claim, copy, verify, publish with fsync, complete) against the fake
 * control plane, once per file concurrency given, each repeated; prints the median time and
 * files/s.
 *
 * <pre>
 * java -cp target/classes:target/test-classes:$(cat target/cp.txt) dev.ferry.worker.BatchCopyBench \
 *     [files=2000] [size=4096] [repeats=3] [fileConcurrency=1,8] [filesPerDirectory=1000] \
 *     [destinationBase]
 * </pre>
 *
 * <p>A destination base on tmpfs ({@code /dev/shm}) shows what the copy costs without fsync
 * latency.
 */
public final class BatchCopyBench {
  private BatchCopyBench() {}

  public static void main(String[] args) throws Exception {
    int files = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
    int size = args.length > 1 ? Integer.parseInt(args[1]) : 4096;
    int repeats = args.length > 2 ? Integer.parseInt(args[2]) : 3;
    int perDir = args.length > 4 ? Integer.parseInt(args[4]) : 1000;
    Path dstBase = args.length > 5 ? Path.of(args[5]) : null; // e.g. /dev/shm: no fsync cost
    int[] concurrencies =
        Arrays.stream((args.length > 3 ? args[3] : "1,8").split(","))
            .mapToInt(Integer::parseInt)
            .toArray();
    Path root = Files.createTempDirectory("ferry-batch-bench");
    Path src = Files.createDirectories(root.resolve("src"));
    List<FileItem> items = new ArrayList<>();
    byte[] data = new byte[size];
    Random random = new Random(42);
    for (int i = 0; i < files; i++) {
      random.nextBytes(data);
      String name = "d" + (i / perDir) + "/f" + i;
      Path p = src.resolve(name);
      Files.createDirectories(p.getParent());
      Files.write(p, data);
      items.add(new FileItem(name, name, size));
    }
    try (FakeControlPlane controlPlane = new FakeControlPlane()) {
      controlPlane.on(
          "heartbeat",
          call ->
              Answer.json(
                  new HeartbeatResponse(
                      HeartbeatResponse.Action.CONTINUE, Instant.now().plusSeconds(60))));
      for (int fc : concurrencies) {
        List<Long> millis = new ArrayList<>();
        for (int r = 0; r < repeats; r++) {
          Path dst =
              Files.createDirectories(
                  (dstBase != null ? dstBase.resolve(root.getFileName()) : root)
                      .resolve("dst-" + fc + "-" + r));
          controlPlane.on(
              "claim",
              call ->
                  Answer.json(
                      new Lease(
                          call.taskId(),
                          UUID.randomUUID(),
                          1,
                          Instant.now().plusSeconds(60),
                          TransferMode.COPY,
                          ChecksumAlgorithm.CRC32C,
                          OverwritePolicy.IF_DIFFERENT,
                          new EndpointRef("src", src.toUri().toString(), Map.of()),
                          new EndpointRef("dst", dst.toUri().toString(), Map.of()),
                          items)));
          WorkerConfig config = config(controlPlane, fc);
          RecordingListener listener = new RecordingListener();
          try (Worker worker = new Worker(config, listener)) {
            long t0 = System.nanoTime();
            worker.handle(
                new TaskDispatched(UUID.randomUUID(), UUID.randomUUID(), 1, "SITE_A", "SITE_B"));
            millis.add((System.nanoTime() - t0) / 1_000_000);
          }
          if (listener.copiedBytes.size() != files) {
            throw new IllegalStateException(
                "only " + listener.copiedBytes.size() + " of " + files + " files copied");
          }
          delete(dst);
        }
        millis.sort(Comparator.naturalOrder());
        long median = millis.get(millis.size() / 2);
        System.out.printf(
            "fileConcurrency=%d: %d x %d B: median %d ms (%s), %.0f files/s%n",
            fc, files, size, median, millis, files * 1000.0 / Math.max(1, median));
      }
    } finally {
      delete(root);
      if (dstBase != null && Files.exists(dstBase.resolve(root.getFileName()))) {
        delete(dstBase.resolve(root.getFileName()));
      }
    }
  }

  private static WorkerConfig config(FakeControlPlane controlPlane, int fileConcurrency) {
    return WorkerConfig.builder()
        .controlPlaneUrl(controlPlane.url())
        .kafkaBootstrapServers("127.0.0.1:9")
        .workerId("bench")
        .webhookSecret(controlPlane.secret)
        .heartbeatInterval(Duration.ofSeconds(1))
        .fileConcurrency(fileConcurrency)
        .build();
  }

  private static void delete(Path root) throws IOException {
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}

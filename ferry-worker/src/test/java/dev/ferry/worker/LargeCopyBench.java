package dev.ferry.worker;

import dev.ferry.model.ChecksumAlgorithm;
import dev.ferry.model.OverwritePolicy;
import dev.ferry.model.TransferMode;
import dev.ferry.model.protocol.FileItem;
import dev.ferry.model.protocol.FileResult;
import dev.ferry.storage.GroupCommit;
import dev.ferry.storage.LocalFileSystemEndpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * A quick local measurement of one large file through {@link FileCopier} (chunked, verified,
 * synced, published), not a test: prints the median seconds and MB/s. The source's page cache is
 * dropped before each copy when {@code /proc/sys/vm/drop_caches} is writable.
 *
 * <pre>
 * java -cp target/classes:target/test-classes:$(cat target/cp.txt) dev.ferry.worker.LargeCopyBench \
 *     SOURCE_FILE DESTINATION_DIR [repeats=3] [chunkMiB=8] [ab | ranges=N]
 * </pre>
 *
 * <p>With {@code ab}, each repetition copies twice, alternating, through a pass-through {@link
 * FaultInjectingEndpoint} (no faults armed): once with chunks verified on a verifier thread while
 * the next is written, once on the copying thread ({@code serialVerification}), and prints both
 * medians: an A/B of the pipelined verification in the same conditions. With {@code ranges=N}, each
 * repetition copies with the chunks in order and with N chunks at once ({@link
 * CopyOptions#ranges()}), alternating which goes first.
 */
public final class LargeCopyBench {
  private LargeCopyBench() {}

  public static void main(String[] args) throws Exception {
    Path source = Path.of(args[0]).toAbsolutePath();
    Path dstDir = Files.createDirectories(Path.of(args[1]));
    int repeats = args.length > 2 ? Integer.parseInt(args[2]) : 3;
    long chunk = (args.length > 3 ? Long.parseLong(args[3]) : 8) * 1024 * 1024;
    long size = Files.size(source);
    CopyOptions options =
        new CopyOptions(TransferMode.COPY, ChecksumAlgorithm.CRC32C, OverwritePolicy.ALWAYS)
            .withChunking(CopyOptions.DEFAULT_CHUNK_THRESHOLD, chunk);
    FileCopier copier = new FileCopier();
    if (args.length > 4 && args[4].equals("ab")) {
      ab(copier, source, dstDir, repeats, options, size);
      return;
    }
    if (args.length > 4 && args[4].startsWith("ranges=")) {
      rangesAb(
          copier, source, dstDir, repeats, options, size, Integer.parseInt(args[4].substring(7)));
      return;
    }
    List<Double> seconds = new ArrayList<>();
    for (int r = 0; r < repeats; r++) {
      dropCaches();
      LocalFileSystemEndpoint src = LocalFileSystemEndpoint.at(source.getParent());
      LocalFileSystemEndpoint dst = LocalFileSystemEndpoint.at(dstDir);
      GroupCommit.Group group = dst.beginGroup();
      long t0 = System.nanoTime();
      FileResult result =
          copier.copy(
              src,
              group.endpoint(),
              new FileItem(source.getFileName().toString(), "copy-" + r, size),
              options,
              CopyControl.NONE);
      group.sync();
      double s = (System.nanoTime() - t0) / 1e9;
      if (result.status() != FileResult.Status.SUCCEEDED) {
        throw new IllegalStateException(result.toString());
      }
      seconds.add(s);
      Files.delete(dstDir.resolve("copy-" + r));
      System.out.printf("run %d: %.2f s, %.0f MB/s%n", r + 1, s, size / 1e6 / s);
    }
    seconds.sort(Comparator.naturalOrder());
    double median = seconds.get(seconds.size() / 2);
    System.out.printf(
        "%d MiB, chunk %d MiB: median %.2f s, %.0f MB/s%n",
        size >> 20, chunk >> 20, median, size / 1e6 / median);
  }

  private static void ab(
      FileCopier copier, Path source, Path dstDir, int repeats, CopyOptions options, long size)
      throws Exception {
    List<Double> pipelined = new ArrayList<>();
    List<Double> serial = new ArrayList<>();
    for (int r = 0; r < repeats; r++) {
      for (boolean serialVerification : new boolean[] {r % 2 == 1, r % 2 == 0}) {
        dropCaches();
        LocalFileSystemEndpoint src = LocalFileSystemEndpoint.at(source.getParent());
        FaultInjectingEndpoint dst = new FaultInjectingEndpoint(LocalFileSystemEndpoint.at(dstDir));
        if (serialVerification) {
          dst.serialVerification();
        }
        long t0 = System.nanoTime();
        FileResult result =
            copier.copy(
                src,
                dst,
                new FileItem(source.getFileName().toString(), "ab-" + r, size),
                options,
                CopyControl.NONE);
        double s = (System.nanoTime() - t0) / 1e9;
        if (result.status() != FileResult.Status.SUCCEEDED) {
          throw new IllegalStateException(result.toString());
        }
        Files.delete(dstDir.resolve("ab-" + r));
        (serialVerification ? serial : pipelined).add(s);
        System.out.printf(
            "run %d %s: %.2f s, %.0f MB/s%n",
            r + 1, serialVerification ? "serial" : "pipelined", s, size / 1e6 / s);
      }
    }
    pipelined.sort(Comparator.naturalOrder());
    serial.sort(Comparator.naturalOrder());
    System.out.printf(
        "median pipelined %.2f s, serial %.2f s%n",
        pipelined.get(pipelined.size() / 2), serial.get(serial.size() / 2));
  }

  /**
   * Each repetition copies twice, alternating the order: chunks in order ({@code ranges} 1) and
   * {@code n} chunks at once, both published through a group as the worker does; prints both
   * medians.
   */
  private static void rangesAb(
      FileCopier copier,
      Path source,
      Path dstDir,
      int repeats,
      CopyOptions options,
      long size,
      int n)
      throws Exception {
    List<Double> inOrder = new ArrayList<>();
    List<Double> ranged = new ArrayList<>();
    for (int r = 0; r < repeats; r++) {
      for (int ranges : r % 2 == 0 ? new int[] {1, n} : new int[] {n, 1}) {
        dropCaches();
        LocalFileSystemEndpoint src = LocalFileSystemEndpoint.at(source.getParent());
        LocalFileSystemEndpoint dst = LocalFileSystemEndpoint.at(dstDir);
        GroupCommit.Group group = dst.beginGroup();
        long t0 = System.nanoTime();
        FileResult result =
            copier.copy(
                src,
                group.endpoint(),
                new FileItem(source.getFileName().toString(), "r" + ranges + "-" + r, size),
                options.withRanges(ranges),
                CopyControl.NONE);
        long t1 = System.nanoTime();
        group.sync();
        double s = (System.nanoTime() - t0) / 1e9;
        System.out.printf(
            "  copy %.2f s, group sync %.2f s%n", (t1 - t0) / 1e9, s - (t1 - t0) / 1e9);
        if (result.status() != FileResult.Status.SUCCEEDED) {
          throw new IllegalStateException(result.toString());
        }
        Files.delete(dstDir.resolve("r" + ranges + "-" + r));
        (ranges == 1 ? inOrder : ranged).add(s);
        System.out.printf(
            "run %d ranges %d: %.2f s, %.0f MB/s%n", r + 1, ranges, s, size / 1e6 / s);
      }
    }
    inOrder.sort(Comparator.naturalOrder());
    ranged.sort(Comparator.naturalOrder());
    double a = inOrder.get(inOrder.size() / 2);
    double b = ranged.get(ranged.size() / 2);
    System.out.printf(
        "median in order %.2f s (%.0f MB/s), %d ranges %.2f s (%.0f MB/s), ratio %.2f%n",
        a, size / 1e6 / a, n, b, size / 1e6 / b, a / b);
  }

  private static void dropCaches() throws Exception {
    new ProcessBuilder("sync").inheritIO().start().waitFor();
    try {
      Files.writeString(Path.of("/proc/sys/vm/drop_caches"), "3");
    } catch (java.io.IOException e) {
      // not permitted here: the source stays cached
    }
  }
}

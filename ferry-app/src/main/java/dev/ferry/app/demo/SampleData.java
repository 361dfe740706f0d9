package dev.ferry.app.demo;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The demo's generated datasets: seeded, so every machine generates the same bytes, and written
 * once (into a temporary sibling, then renamed, so an interrupted first run leaves no half
 * dataset).
 *
 * <ul>
 *   <li>{@code photos}: many small files (2–48 KiB) in nested folders, some with non-ASCII names;
 *   <li>{@code genomes}: a few larger files (1–3 MiB), where throughput rather than per-file
 *       overhead dominates;
 *   <li>{@code logs}: a mixed set for SITE_B's own data.
 * </ul>
 */
public final class SampleData {
  private SampleData() {}

  /** One file of a dataset: where, and how many bytes. */
  public record FileSpec(String path, int size) {}

  /** A named dataset and its files, all derived from {@code seed}. */
  public record Dataset(String name, long seed, List<FileSpec> files) {
    public Dataset {
      files = List.copyOf(files);
    }

    public long totalBytes() {
      return files.stream().mapToLong(FileSpec::size).sum();
    }
  }

  public static Dataset photos() {
    SplittableRandom r = new SplittableRandom(1);
    List<FileSpec> files = new ArrayList<>();
    String[] albums = {"2024/lisbon", "2024/lisbon/raw", "2025/zürich", "2025/京都", "misc"};
    for (int i = 0; i < 48; i++) {
      String album = albums[i % albums.length];
      files.add(new FileSpec(album + "/img-" + (1000 + i) + ".jpg", 2048 + r.nextInt(46 * 1024)));
    }
    files.add(new FileSpec("2025/zürich/Ünterschrift – café.txt", 733));
    files.add(new FileSpec("README.txt", 211));
    return new Dataset("photos", 1, files);
  }

  public static Dataset genomes() {
    List<FileSpec> files =
        List.of(
            new FileSpec("run-17/sample-a.fastq", 1024 * 1024),
            new FileSpec("run-17/sample-b.fastq", 2 * 1024 * 1024),
            new FileSpec("run-18/sample-c.fastq", 3 * 1024 * 1024),
            new FileSpec("run-18/manifest.tsv", 4096));
    return new Dataset("genomes", 2, files);
  }

  public static Dataset logs() {
    SplittableRandom r = new SplittableRandom(3);
    List<FileSpec> files = new ArrayList<>();
    for (int day = 1; day <= 6; day++) {
      for (int h = 0; h < 4; h++) {
        files.add(
            new FileSpec(
                String.format("2025-03-%02d/app-%02d.log", day, h * 6), 4096 + r.nextInt(60_000)));
      }
    }
    files.add(new FileSpec("archive/2025-02.tar", 1536 * 1024));
    return new Dataset("logs", 3, files);
  }

  /**
   * Writes {@code dataset} under {@code dir/<name>} unless it is already there.
   *
   * @return whether it was written now
   */
  public static boolean writeOnce(Path dir, Dataset dataset) throws IOException {
    Path target = dir.resolve(dataset.name());
    if (Files.isDirectory(target)) {
      return false;
    }
    Path tmp = dir.resolve("." + dataset.name() + ".generating");
    if (Files.exists(tmp)) {
      deleteTree(tmp);
    }
    SplittableRandom random = new SplittableRandom(dataset.seed() * 7919);
    byte[] buf = new byte[64 * 1024];
    for (FileSpec f : dataset.files()) {
      Path p = tmp.resolve(f.path());
      Files.createDirectories(p.getParent());
      try (OutputStream out = Files.newOutputStream(p)) {
        int left = f.size();
        while (left > 0) {
          int n = Math.min(left, buf.length);
          fill(random, buf, n, f.path().endsWith(".txt") || f.path().endsWith(".log"));
          out.write(buf, 0, n);
          left -= n;
        }
      }
    }
    Files.move(tmp, target);
    return true;
  }

  /** Random bytes, or random printable lines for text files. */
  private static void fill(SplittableRandom r, byte[] buf, int n, boolean text) {
    for (int i = 0; i < n; i++) {
      buf[i] =
          text ? (i % 80 == 79 ? (byte) '\n' : (byte) (' ' + r.nextInt(95))) : (byte) r.nextInt();
    }
  }

  private static void deleteTree(Path root) throws IOException {
    try (var walk = Files.walk(root)) {
      for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}

package dev.ferry.app.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SampleDataTest {
  @Test
  void shouldWriteTheSameBytesOnEveryMachine(@TempDir Path a, @TempDir Path b) throws IOException {
    SampleData.writeOnce(a, SampleData.photos());
    SampleData.writeOnce(b, SampleData.photos());
    List<Path> files = files(a.resolve("photos"));
    assertThat(files).hasSize(SampleData.photos().files().size());
    for (Path f : files) {
      Path twin = b.resolve("photos").resolve(a.resolve("photos").relativize(f).toString());
      assertThat(Files.mismatch(f, twin)).as(f.toString()).isEqualTo(-1L);
    }
  }

  @Test
  void shouldMixSmallAndLargeFilesInNestedFoldersWithUnicodeNames(@TempDir Path dir)
      throws IOException {
    SampleData.writeOnce(dir, SampleData.photos());
    SampleData.writeOnce(dir, SampleData.genomes());
    assertThat(dir.resolve("photos/2025/zürich/Ünterschrift – café.txt")).isRegularFile();
    assertThat(dir.resolve("photos/2025/京都")).isDirectory();
    assertThat(dir.resolve("photos/2024/lisbon/raw")).isDirectory();
    assertThat(Files.size(dir.resolve("genomes/run-18/sample-c.fastq"))).isEqualTo(3 << 20);
    long total = 0;
    for (Path f : files(dir)) {
      total += Files.size(f);
    }
    assertThat(total)
        .isEqualTo(SampleData.photos().totalBytes() + SampleData.genomes().totalBytes());
  }

  @Test
  void shouldKeepAnExistingDatasetAndReplaceAnInterruptedOne(@TempDir Path dir) throws IOException {
    Files.createDirectories(dir.resolve(".logs.generating/half"));
    assertThat(SampleData.writeOnce(dir, SampleData.logs())).isTrue();
    assertThat(dir.resolve(".logs.generating")).doesNotExist();
    Path f = dir.resolve("logs/2025-03-01/app-00.log");
    Files.writeString(f, "changed by hand");
    assertThat(SampleData.writeOnce(dir, SampleData.logs())).isFalse();
    assertThat(Files.readString(f)).isEqualTo("changed by hand");
  }

  private static List<Path> files(Path root) throws IOException {
    try (Stream<Path> s = Files.walk(root)) {
      return s.filter(Files::isRegularFile).sorted().toList();
    }
  }
}

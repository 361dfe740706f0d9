package dev.ferry.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.model.protocol.EndpointRef;
import dev.ferry.model.protocol.FileItem;
import dev.ferry.storage.LocalFileSystemEndpoint;
import dev.ferry.storage.StorageEndpoint;
import dev.ferry.testsupport.SettableClock;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TemporaryFileSweeperTest {
  private static final Duration AGE = Duration.ofHours(1);
  private static final Duration INTERVAL = Duration.ofMinutes(10);

  @TempDir Path root;

  private Path temporary(String dir, String name, Duration old) throws IOException {
    Path d = Files.createDirectories(root.resolve(dir));
    Path f = Files.writeString(d.resolve(LocalFileSystemEndpoint.TEMP_PREFIX + name), "partial");
    Files.setLastModifiedTime(f, FileTime.from(Instant.now().minus(old)));
    return f;
  }

  @Test
  void shouldSweepADirectoryOncePerIntervalAndTheRememberedOnesLater() throws IOException {
    SettableClock clock = new SettableClock(Instant.now());
    EndpointRef ref = new EndpointRef("dst", root.toUri().toString(), Map.of());
    TemporaryFileSweeper sweeper =
        new TemporaryFileSweeper(AGE, INTERVAL, clock, EndpointOpener.DEFAULT);
    Path old = temporary("d", "old", Duration.ofHours(3));
    Path young = temporary("d", "young", Duration.ofMinutes(30));
    Path top = temporary("", "top", Duration.ofHours(3));
    List<FileItem> files = List.of(new FileItem("x", "d/x", 1), new FileItem("y", "d/y", 1));

    try (StorageEndpoint destination = LocalFileSystemEndpoint.at(root)) {
      assertThat(sweeper.beforeWrites(ref, destination, files)).isEqualTo(1);
      assertThat(old).doesNotExist();
      assertThat(young).exists();
      assertThat(top).as("not a directory the task writes to").exists();

      Path again = temporary("d", "again", Duration.ofHours(3));
      clock.advance(Duration.ofMinutes(5));
      assertThat(sweeper.beforeWrites(ref, destination, files))
          .as("swept 5 minutes ago: not again within the interval")
          .isZero();
      assertThat(again).exists();
    }

    assertThat(sweeper.sweepRemembered()).as("not due yet").isZero();
    clock.advance(Duration.ofMinutes(40)); // 45 min later: the 30-minute-old file is 75 min old
    assertThat(sweeper.sweepRemembered()).isEqualTo(2);
    assertThat(young).doesNotExist();
    assertThat(top).exists();
  }
}

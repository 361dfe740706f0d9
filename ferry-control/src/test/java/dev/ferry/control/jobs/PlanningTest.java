package dev.ferry.control.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.control.FerryProperties;
import dev.ferry.model.protocol.FileItem;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PlanningTest {
  private static FerryProperties properties(int maxFiles, long maxBytes) {
    return new FerryProperties(
        Path.of("/tmp"),
        "",
        "",
        List.of(),
        new FerryProperties.Kafka("127.0.0.1:9092", 3, 1, 500, Duration.ofMillis(200)),
        Duration.ofSeconds(30),
        Duration.ofSeconds(60),
        5,
        Duration.ofSeconds(1),
        Duration.ofMinutes(5),
        Duration.ofSeconds(1),
        1 << 20,
        maxFiles,
        maxBytes);
  }

  private static TaskDispatcher dispatcher(int maxFiles, long maxBytes) {
    return new TaskDispatcher(null, null, null, null, null, properties(maxFiles, maxBytes));
  }

  @Test
  void shouldPlaceFilesBelowTheDestinationPath() {
    assertThat(Planner.destinationOf("data/a/b.txt", "data", "copy")).isEqualTo("copy/a/b.txt");
    assertThat(Planner.destinationOf("data/a/b.txt", "", "copy")).isEqualTo("copy/data/a/b.txt");
    assertThat(Planner.destinationOf("data/a/b.txt", "data", "")).isEqualTo("a/b.txt");
    assertThat(Planner.destinationOf("data/a/b.txt", "data/a/b.txt", "out")).isEqualTo("out/b.txt");
    assertThat(Planner.destinationOf("b.txt", "b.txt", "")).isEqualTo("b.txt");
  }

  @Test
  void shouldBatchSmallFilesAndGiveLargeFilesATaskEach() {
    List<FileItem> files = new ArrayList<>();
    for (int i = 0; i < 25; i++) {
      files.add(new FileItem("s" + i, "d" + i, 10));
    }
    files.add(new FileItem("big", "big", 250));
    List<TaskDispatcher.NewTask> tasks = dispatcher(10, 1000).group(files);
    assertThat(tasks).extracting(t -> t.files().size()).containsExactly(10, 10, 1, 5);
    assertThat(tasks.get(2).files().get(0).source()).isEqualTo("big");
    assertThat(tasks)
        .extracting(TaskDispatcher.NewTask::bytes)
        .containsExactly(100L, 100L, 250L, 50L);
  }

  private static List<FileItem> small(int count, String prefix) {
    List<FileItem> files = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      String name = prefix + String.format("%06d", i); // one length: the estimates are equal
      files.add(new FileItem(name, name, 4096));
    }
    return files;
  }

  @Test
  void shouldSizeBatchesToTheJobBetweenTheFloorAndTheCap() {
    TaskDispatcher d = dispatcher(2000, 64L << 20);
    // 20,000 small files: about TARGET_BATCHES batches, not 40 of 500
    List<TaskDispatcher.NewTask> big = d.group(small(20_000, "f"));
    assertThat(big).hasSize(TaskDispatcher.TARGET_BATCHES);
    assertThat(big).allSatisfy(t -> assertThat(t.files()).hasSizeBetween(1600, 1700));
    assertThat(big.stream().mapToInt(t -> t.files().size()).sum()).isEqualTo(20_000);
    // 1,000 files: batches of the floor, so that two tasks can still run at once
    assertThat(d.group(small(1_000, "f")))
        .extracting(t -> t.files().size())
        .containsExactly(500, 500);
    // 100,000 files: the cap, or fewer where a 1 MiB request of (failed) results is reached first
    List<TaskDispatcher.NewTask> huge = d.group(small(100_000, "f"));
    long perFile = TaskDispatcher.estimatedResultBytes(huge.get(0).files().get(0));
    int fit = (int) Math.min(2000, ((1 << 20) - 4096) / perFile);
    assertThat(huge.get(0).files()).hasSize(fit);
    assertThat(huge).allSatisfy(t -> assertThat(t.files().size()).isLessThanOrEqualTo(fit));
    assertThat(huge.stream().mapToInt(t -> t.files().size()).sum()).isEqualTo(100_000);
  }

  @Test
  void shouldCloseABatchBeforeItsResultsOutgrowARequest() {
    // 1 MiB requests: a failed file's result is estimated at 4 bytes per path character + 512
    List<FileItem> files = small(600, "x".repeat(1000) + "/");
    List<TaskDispatcher.NewTask> tasks = dispatcher(2000, 64L << 20).group(files);
    long perFile = TaskDispatcher.estimatedResultBytes(files.get(0));
    int fit = (int) (((1 << 20) - 4096) / perFile);
    assertThat(fit).isLessThan(600);
    assertThat(tasks.get(0).files()).hasSize(fit);
    assertThat(tasks).allSatisfy(t -> assertThat(t.files().size()).isLessThanOrEqualTo(fit));
    assertThat(tasks.stream().mapToInt(t -> t.files().size()).sum()).isEqualTo(600);
  }

  @Test
  void shouldCloseABatchBeforeItExceedsTheByteLimit() {
    List<FileItem> files = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      files.add(new FileItem("f" + i, "f" + i, 60));
    }
    // 250 bytes per batch: four files of 60 fit, the fifth opens a new batch
    assertThat(dispatcher(100, 250).group(files))
        .extracting(t -> t.files().size())
        .containsExactly(4, 1);
    // 100 bytes per batch: 60 is above a quarter of it, so every file is "large"
    assertThat(dispatcher(100, 100).group(files))
        .extracting(t -> t.files().size())
        .containsExactly(1, 1, 1, 1, 1);
    assertThat(dispatcher(100, 2000).group(List.of())).isEmpty();
  }
}

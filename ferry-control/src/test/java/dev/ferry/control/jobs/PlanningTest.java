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

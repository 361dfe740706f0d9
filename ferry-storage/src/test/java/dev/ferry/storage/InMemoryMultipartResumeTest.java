package dev.ferry.storage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ferry.storage.MultipartResume.ResumableWrite;
import java.io.IOException;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class InMemoryMultipartResumeTest extends MultipartResumeContractTest {

  @Override
  protected StorageEndpoint createEndpoint() {
    return new InMemoryEndpoint();
  }

  /** Writes begun or kept and neither committed nor aborted. */
  @Override
  protected List<String> leftovers() {
    return Collections.nCopies(((InMemoryEndpoint) endpoint).pendingWrites(), "pending write");
  }

  @Test
  void shouldCountKeptWritesAsPendingAndLoseWhatWasNotSynced() throws IOException {
    InMemoryEndpoint memory = (InMemoryEndpoint) endpoint;
    ResumableWrite write = memory.beginResumableWrite("f", 4);
    write.output().write(new byte[] {1, 2, 3, 4});
    write.sync();
    write.output().write(new byte[] {5, 6}); // never synced
    String token = write.resumeToken();
    write.detach();
    assertThat(memory.pendingWrites()).isEqualTo(1);

    ResumableWrite resumed = memory.resume(token).orElseThrow();
    assertThat(resumed.durableBytes()).isEqualTo(4);
    assertThat(memory.pendingWrites()).isEqualTo(1);
    resumed.commit();

    assertThat(memory.pendingWrites()).isZero();
    assertThat(memory.content("f")).hasValueSatisfying(c -> assertThat(c).hasSize(4));
  }
}

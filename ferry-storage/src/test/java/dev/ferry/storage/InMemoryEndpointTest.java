package dev.ferry.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import org.junit.jupiter.api.Test;

class InMemoryEndpointTest extends StorageEndpointContractTest {

  @Override
  protected StorageEndpoint createEndpoint() {
    return new InMemoryEndpoint();
  }

  @Test
  void shouldCountPendingWrites() throws IOException {
    InMemoryEndpoint memory = (InMemoryEndpoint) endpoint;
    PendingWrite a = memory.beginWrite("a");
    PendingWrite b = memory.beginWrite("b");
    assertThat(memory.pendingWrites()).isEqualTo(2);
    a.output().write(1);
    a.commit();
    b.abort();
    assertThat(memory.pendingWrites()).isZero();
    assertThat(memory.content("a")).hasValueSatisfying(c -> assertThat(c).containsExactly(1));
  }
}

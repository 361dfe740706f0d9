package dev.ferry.control.outbox;

import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.springframework.stereotype.Component;

/** Wakes the relay after a commit that wrote outbox rows. Many wakes coalesce into one. */
@Component
public class OutboxSignal {
  private final Semaphore permits = new Semaphore(0);

  public void wake() {
    if (permits.availablePermits() == 0) {
      permits.release();
    }
  }

  /** Waits until woken or {@code timeout} passes; returns whether it was woken. */
  public boolean await(Duration timeout) throws InterruptedException {
    boolean woken = permits.tryAcquire(timeout.toNanos(), TimeUnit.NANOSECONDS);
    permits.drainPermits();
    return woken;
  }
}

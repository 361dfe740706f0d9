package dev.ferry.worker;

import dev.ferry.model.protocol.FileItem;
import dev.ferry.model.protocol.FileResult;
import dev.ferry.model.protocol.Lease;
import dev.ferry.model.protocol.TaskDispatched;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Calls a {@link WorkerListener}, logging and swallowing whatever it throws. */
final class SafeListener implements WorkerListener {
  private static final Logger log = LoggerFactory.getLogger(SafeListener.class);
  private final WorkerListener delegate;

  SafeListener(WorkerListener delegate) {
    this.delegate = delegate == null ? NOOP : delegate;
  }

  private void guard(String method, Runnable call) {
    try {
      call.run();
    } catch (RuntimeException e) {
      log.warn("worker listener {}.{} failed", delegate.getClass().getName(), method, e);
    }
  }

  @Override
  public void claimed(Lease lease) {
    guard("claimed", () -> delegate.claimed(lease));
  }

  @Override
  public void duplicateSkipped(TaskDispatched task) {
    guard("duplicateSkipped", () -> delegate.duplicateSkipped(task));
  }

  @Override
  public void otherSiteSkipped(TaskDispatched task) {
    guard("otherSiteSkipped", () -> delegate.otherSiteSkipped(task));
  }

  @Override
  public void recordRejected(String reason) {
    guard("recordRejected", () -> delegate.recordRejected(reason));
  }

  @Override
  public void claimFailed(TaskDispatched task, RuntimeException error) {
    guard("claimFailed", () -> delegate.claimFailed(task, error));
  }

  @Override
  public void fileCopied(Lease lease, FileItem file, long bytes) {
    guard("fileCopied", () -> delegate.fileCopied(lease, file, bytes));
  }

  @Override
  public void stopRequested(Lease lease, StopReason reason) {
    guard("stopRequested", () -> delegate.stopRequested(lease, reason));
  }

  @Override
  public void taskFinished(Lease lease, Outcome outcome, List<FileResult> results) {
    guard("taskFinished", () -> delegate.taskFinished(lease, outcome, results));
  }

  @Override
  public void linkLimitChanged(String link, int from, int to, String reason) {
    guard("linkLimitChanged", () -> delegate.linkLimitChanged(link, from, to, reason));
  }

  @Override
  public void attemptTelemetryFailed(AttemptFinished event, Exception error) {
    guard("attemptTelemetryFailed", () -> delegate.attemptTelemetryFailed(event, error));
  }
}

package dev.ferry.worker;

import dev.ferry.model.protocol.FileItem;
import dev.ferry.model.protocol.FileResult;
import dev.ferry.model.protocol.Lease;
import dev.ferry.model.protocol.TaskDispatched;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Records every callback, in order. */
class RecordingListener implements WorkerListener {
  record Finished(Lease lease, Outcome outcome, List<FileResult> results) {}

  final List<Lease> claimed = new CopyOnWriteArrayList<>();
  final List<TaskDispatched> duplicates = new CopyOnWriteArrayList<>();
  final List<TaskDispatched> otherSite = new CopyOnWriteArrayList<>();
  final List<String> rejected = new CopyOnWriteArrayList<>();
  final List<RuntimeException> claimFailures = new CopyOnWriteArrayList<>();
  final List<Long> copiedBytes = new CopyOnWriteArrayList<>();
  final List<StopReason> stops = new CopyOnWriteArrayList<>();
  final List<Finished> finished = new CopyOnWriteArrayList<>();

  @Override
  public void claimed(Lease lease) {
    claimed.add(lease);
  }

  @Override
  public void duplicateSkipped(TaskDispatched task) {
    duplicates.add(task);
  }

  @Override
  public void otherSiteSkipped(TaskDispatched task) {
    otherSite.add(task);
  }

  @Override
  public void recordRejected(String reason) {
    rejected.add(reason);
  }

  @Override
  public void claimFailed(TaskDispatched task, RuntimeException error) {
    claimFailures.add(error);
  }

  @Override
  public void fileCopied(Lease lease, FileItem file, long bytes) {
    copiedBytes.add(bytes);
  }

  @Override
  public void stopRequested(Lease lease, StopReason reason) {
    stops.add(reason);
  }

  @Override
  public void taskFinished(Lease lease, Outcome outcome, List<FileResult> results) {
    finished.add(new Finished(lease, outcome, results));
  }
}

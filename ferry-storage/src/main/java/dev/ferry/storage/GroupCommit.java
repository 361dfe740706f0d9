package dev.ferry.storage;

import java.util.Map;

/**
 * Capability: publish many writes and pay once, not once per file, for what makes them durable. On
 * a filesystem a published file costs a sync of its content and a sync of its directory (the
 * rename); for a batch of 500 small files in one directory that is 1,000 journal commits and device
 * flushes, which is most of the time a small file takes.
 *
 * <p>How a worker uses it: it opens a {@link Group} for a task, copies every file through {@link
 * Group#endpoint()}, and calls {@link Group#sync()} <em>before</em> it reports the files as copied;
 * a task that stops without reporting calls {@link Group#abort()}. So "reported SUCCEEDED" still
 * implies "published and durable", as with per-file commits; only the order inside the task
 * changes.
 *
 * <p><b>What {@link PendingWrite#commit()} means through a group.</b> The write is complete (the
 * caller verified it) and handed to the group, and {@link PendingWrite#committed()} is true. An
 * adapter may publish it at once (then the rename is atomic and its content durable before the name
 * points at it, and only the directory's sync waits for {@link Group#sync()}), or stage it: the
 * final name keeps its old content until {@link Group#sync()}, which makes every staged content
 * durable in one step, then renames, then syncs the directories. Either way a crash never exposes a
 * partial file under a final name; a crash before {@link Group#sync()} may lose the publishing,
 * which is safe because nothing was reported: the task runs again, and what it left behind is
 * temporary files for the housekeeping ({@link TemporaryFileCleanup}).
 */
public interface GroupCommit {

  /** Starts a group. Cheap; groups are independent of each other. */
  Group beginGroup();

  /** Writes that are published and made durable together. */
  interface Group {
    /**
     * A view of the endpoint (same root, same rules, same capabilities) whose {@link
     * PendingWrite#commit()}s are completed by {@link #sync()}. Thread-safe like the endpoint;
     * closing it does not end the group.
     */
    StorageEndpoint endpoint();

    /**
     * Publishes every write committed through {@link #endpoint()} so far and makes it durable. Safe
     * to call more than once and from any thread; commits made after a call need another call.
     *
     * @return the writes that could not be published, by path ({@link RelativePath#value()}), with
     *     the reason; their temporary objects are removed. Empty when all were published.
     * @throws StorageException when durability could not be established at all; then none of the
     *     writes may be reported as durable (those not yet published stay in the group)
     */
    Map<String, StorageException> sync();

    /** Removes the writes committed through {@link #endpoint()} and not yet published. */
    void abort();
  }
}

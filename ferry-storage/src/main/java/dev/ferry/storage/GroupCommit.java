package dev.ferry.storage;

/**
 * Capability: publish many writes and pay once, not once per file, for the part of durability that
 * they share. On a filesystem a published file costs an fsync of the file (its content) and an
 * fsync of its directory (the rename); a batch of 500 small files in one directory needs 500 of the
 * first but only one of the second.
 *
 * <p>How a worker uses it: it opens a {@link Group} for a task, copies every file through {@link
 * Group#endpoint()}, and calls {@link Group#sync()} <em>before</em> it reports the files as copied.
 * So "reported SUCCEEDED" still implies "durable", as with per-file commits; only the order inside
 * the task changes.
 *
 * <p>What a grouped commit still guarantees on its own, before {@link Group#sync()}: it is atomic
 * (the final name holds the old content or the complete new one, never a prefix), and the new
 * content is durable before the name points at it, so a crash never exposes a partial file under
 * the final name. What it defers: whether the rename itself survives a crash. A crash before {@link
 * Group#sync()} may lose renames, i.e. leave the old content (or nothing) under the final name and
 * the new content in a temporary file that the housekeeping removes later; the task was not
 * reported, so it runs again.
 */
public interface GroupCommit {

  /** Starts a group. Cheap; groups are independent of each other. */
  Group beginGroup();

  /** Writes whose renames become durable together. */
  interface Group {
    /**
     * A view of the endpoint (same root, same rules, same capabilities) whose {@link
     * PendingWrite#commit()}s leave the directory sync to {@link #sync()}. Thread-safe like the
     * endpoint; closing it does not end the group.
     */
    StorageEndpoint endpoint();

    /**
     * Makes every commit made through {@link #endpoint()} so far durable: each directory that
     * received a file (and each parent of a directory created for one) is synced once. Safe to call
     * more than once and from any thread; commits made after a call need another call.
     *
     * @throws StorageException when a directory cannot be synced; the commits then must not be
     *     reported as durable
     */
    void sync();
  }
}

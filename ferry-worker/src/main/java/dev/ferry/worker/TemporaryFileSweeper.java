package dev.ferry.worker;

import dev.ferry.model.protocol.EndpointRef;
import dev.ferry.model.protocol.FileItem;
import dev.ferry.storage.StorageEndpoint;
import dev.ferry.storage.TemporaryFileCleanup;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Removes the temporary objects that writes into the worker's destination directories left behind
 * (a worker that died mid-file, a resumable write whose next attempt never came), once they are
 * older than {@link WorkerConfig#temporaryFileAge()}, on endpoints that offer {@link
 * TemporaryFileCleanup} (the local filesystem; not yet SFTP or S3, whose incomplete multipart
 * uploads are a bucket lifecycle rule's job).
 *
 * <p><b>When.</b> Workers keep no state across restarts, so there is no list of places to clean at
 * start-up. Instead: (1) before a task writes into a directory, that directory is swept, at most
 * once per {@link WorkerConfig#temporaryFileSweepInterval()} per worker, which covers the first
 * task after a (re)start and the retry of a task whose worker died; (2) the directories written to
 * are remembered (the most recent {@value #MAX_REMEMBERED}) and swept again every interval, so that
 * debris that was too young at (1) goes once it is old enough, while this worker runs. Debris in a
 * directory that no running worker writes to any more stays until an operator cleans the endpoint
 * ({@code LocalFileSystemEndpoint.removeStaleTemporaryFiles}).
 *
 * <p>Sweeping never fails a task: errors are logged. Thread-safe.
 */
final class TemporaryFileSweeper {
  private static final Logger log = LoggerFactory.getLogger(TemporaryFileSweeper.class);
  static final int MAX_REMEMBERED = 10_000;

  /** A directory of a destination endpoint. */
  private record Place(EndpointRef endpoint, String directory) {}

  private final Duration age;
  private final Duration interval;
  private final Clock clock;
  private final EndpointOpener opener;

  /** When each place was last swept, least recently swept first; guarded by itself. */
  private final LinkedHashMap<Place, Instant> swept =
      new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Place, Instant> eldest) {
          return size() > MAX_REMEMBERED;
        }
      };

  TemporaryFileSweeper(Duration age, Duration interval, Clock clock, EndpointOpener opener) {
    this.age = age;
    this.interval = interval;
    this.clock = clock;
    this.opener = opener;
  }

  /**
   * Sweeps the directories the files of a task are about to be written to, each unless it was swept
   * within the interval. Called with the attempt's open destination.
   *
   * @return temporary objects removed
   */
  int beforeWrites(EndpointRef ref, StorageEndpoint destination, Collection<FileItem> files) {
    Optional<TemporaryFileCleanup> cleanup = destination.capability(TemporaryFileCleanup.class);
    if (cleanup.isEmpty() || files.isEmpty()) {
      return 0;
    }
    Set<String> directories = new LinkedHashSet<>();
    for (FileItem f : files) {
      String path = f.destination();
      int slash = path == null ? -1 : path.lastIndexOf('/');
      directories.add(slash < 0 ? "" : path.substring(0, slash));
    }
    Instant now = clock.instant();
    int removed = 0;
    for (String dir : directories) {
      Place place = new Place(ref, dir);
      if (due(place, now)) {
        removed += sweep(cleanup.get(), place, now);
      }
    }
    return removed;
  }

  /**
   * Sweeps every remembered directory not swept within the interval; run periodically.
   *
   * @return temporary objects removed
   */
  int sweepRemembered() {
    Instant now = clock.instant();
    Map<EndpointRef, List<Place>> due = new LinkedHashMap<>();
    synchronized (swept) {
      for (Map.Entry<Place, Instant> e : swept.entrySet()) {
        if (!e.getValue().isAfter(now.minus(interval))) {
          due.computeIfAbsent(e.getKey().endpoint(), k -> new ArrayList<>()).add(e.getKey());
        }
      }
    }
    int removed = 0;
    for (Map.Entry<EndpointRef, List<Place>> e : due.entrySet()) {
      try (StorageEndpoint endpoint = opener.open(e.getKey())) {
        Optional<TemporaryFileCleanup> cleanup = endpoint.capability(TemporaryFileCleanup.class);
        if (cleanup.isPresent()) {
          for (Place place : e.getValue()) {
            removed += sweep(cleanup.get(), place, now);
          }
        }
      } catch (RuntimeException ex) {
        log.warn("sweeping temporary files at {} failed: {}", e.getKey().uri(), ex.toString());
      }
    }
    return removed;
  }

  /** True, and the place marked swept now, when it was not swept within the interval. */
  private boolean due(Place place, Instant now) {
    synchronized (swept) {
      Instant last = swept.get(place);
      if (last != null && last.isAfter(now.minus(interval))) {
        return false;
      }
      swept.put(place, now);
      return true;
    }
  }

  private int sweep(TemporaryFileCleanup cleanup, Place place, Instant now) {
    synchronized (swept) {
      swept.put(place, now);
    }
    try {
      int n = cleanup.removeStaleTemporaryFilesIn(place.directory(), now.minus(age));
      if (n > 0) {
        log.info(
            "removed {} temporary files older than {} in '{}' at {}",
            n,
            age,
            place.directory(),
            place.endpoint().uri());
      }
      return n;
    } catch (RuntimeException e) {
      log.warn(
          "sweeping temporary files in '{}' at {} failed: {}",
          place.directory(),
          place.endpoint().uri(),
          e.toString());
      return 0;
    }
  }
}

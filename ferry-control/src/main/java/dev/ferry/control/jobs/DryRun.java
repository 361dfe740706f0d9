package dev.ferry.control.jobs;

import dev.ferry.control.api.ApiProblem;
import dev.ferry.control.endpoints.EndpointService;
import dev.ferry.model.OverwritePolicy;
import dev.ferry.model.TransferMode;
import dev.ferry.model.protocol.EndpointRef;
import dev.ferry.model.protocol.FileItem;
import dev.ferry.storage.StorageEndpoint;
import dev.ferry.storage.StorageEndpoints;
import dev.ferry.storage.StorageEntry;
import dev.ferry.storage.StorageException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.springframework.stereotype.Component;

/**
 * What a job would move, without submitting it: lists the source, looks at the destination file by
 * file, and decides as the worker would. Writes nothing.
 */
@Component
public class DryRun {
  /** Files looked at in the destination; beyond this the action is {@code copy?} (unknown). */
  static final int MAX_STATS = 10_000;

  private final JobService jobs;
  private final EndpointService endpoints;
  private final TaskDispatcher dispatcher;

  public DryRun(JobService jobs, EndpointService endpoints, TaskDispatcher dispatcher) {
    this.jobs = jobs;
    this.endpoints = endpoints;
    this.dispatcher = dispatcher;
  }

  /**
   * One file of the plan. {@code action}: {@code copy}, {@code skip-exists} (overwrite never),
   * {@code skip-unchanged} (sync: same size, destination not older), {@code copy-if-different}
   * (decided by checksum at copy time), {@code copy?} (destination not examined).
   */
  public record Item(String source, String destination, long size, String action) {}

  /** The plan: totals, the tasks it would make, and the first {@code limit} files. */
  public record Plan(
      long files, long bytes, long filesToCopy, long bytesToCopy, int tasks, List<Item> items) {}

  public Plan plan(UUID tenant, JobRequest request, int limit) {
    JobService.Spec spec = jobs.validate(request);
    EndpointRef src = reference(tenant, "source.endpoint", spec.sourceEndpoint());
    EndpointRef dst = reference(tenant, "destination.endpoint", spec.destinationEndpoint());
    List<FileItem> files;
    try {
      files = Planner.listFiles(src, spec.sourcePath(), spec.destinationPath());
    } catch (StorageException e) {
      throw ApiProblem.badRequest("cannot list the source: " + e.getMessage());
    }
    List<Item> items = new ArrayList<>();
    long toCopy = 0;
    long bytesToCopy = 0;
    long bytes = 0;
    try (StorageEndpoint destination = StorageEndpoints.open(dst.uri(), dst.credentials());
        StorageEndpoint source = StorageEndpoints.open(src.uri(), src.credentials())) {
      for (int i = 0; i < files.size(); i++) {
        FileItem f = files.get(i);
        String action = i < MAX_STATS ? action(spec, f, source, destination) : "copy?";
        bytes += f.size();
        if (!action.startsWith("skip")) {
          toCopy++;
          bytesToCopy += f.size();
        }
        if (items.size() < limit) {
          items.add(new Item(f.source(), f.destination(), f.size(), action));
        }
      }
    } catch (StorageException e) {
      throw ApiProblem.badRequest("cannot look at the destination: " + e.getMessage());
    }
    return new Plan(
        files.size(), bytes, toCopy, bytesToCopy, dispatcher.group(files).size(), items);
  }

  private static String action(
      JobService.Spec spec, FileItem f, StorageEndpoint source, StorageEndpoint destination) {
    Optional<StorageEntry> there = destination.stat(f.destination());
    if (there.isEmpty()) {
      return "copy";
    }
    if (spec.mode() == TransferMode.SYNC) {
      Optional<StorageEntry> here = source.stat(f.source());
      if (here.isPresent()
          && here.get().size() == there.get().size()
          && !there.get().modified().isBefore(here.get().modified())) {
        return "skip-unchanged";
      }
    }
    return switch (spec.overwrite() == null ? OverwritePolicy.IF_DIFFERENT : spec.overwrite()) {
      case NEVER -> "skip-exists";
      case IF_DIFFERENT -> "copy-if-different";
      case ALWAYS -> "copy";
    };
  }

  private EndpointRef reference(UUID tenant, String field, String name) {
    EndpointService.Resolved e =
        endpoints
            .byName(tenant, name)
            .orElseThrow(() -> ApiProblem.badRequest(field + " '" + name + "' does not exist"));
    return endpoints.reference(e.id());
  }
}

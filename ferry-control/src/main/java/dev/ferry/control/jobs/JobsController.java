package dev.ferry.control.jobs;

import dev.ferry.control.api.Requests;
import dev.ferry.control.auth.Caller;
import dev.ferry.model.Role;
import java.util.List;
import java.util.UUID;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** {@code /api/v1/jobs}: operators submit, cancel and retry; viewers read. */
@RestController
@RequestMapping("/api/v1/jobs")
public class JobsController {
  private final JobService jobs;
  private final DryRun dryRun;

  public JobsController(JobService jobs, DryRun dryRun) {
    this.jobs = jobs;
    this.dryRun = dryRun;
  }

  /**
   * What the job would move, without submitting it: {@code POST /api/v1/jobs/plan} with the body of
   * a submission. Lists the source and examines the destination; writes nothing.
   */
  @PostMapping("/plan")
  public DryRun.Plan plan(
      Caller caller,
      @RequestParam(defaultValue = "1000") int limit,
      @RequestBody(required = false) JobRequest request) {
    UUID tenant = caller.require(Role.OPERATOR);
    if (limit < 0 || limit > 10_000) {
      throw dev.ferry.control.api.ApiProblem.badRequest("limit must be between 0 and 10000");
    }
    return dryRun.plan(tenant, request, limit);
  }

  /** 201 with the new job, or 200 with the very same body when it replays an Idempotency-Key. */
  @PostMapping
  public ResponseEntity<String> submit(
      Caller caller,
      @RequestHeader(name = "Idempotency-Key", required = false) String key,
      @RequestBody(required = false) JobRequest request) {
    UUID tenant = caller.require(Role.OPERATOR);
    JobService.Submitted s = jobs.submit(tenant, key, request);
    return ResponseEntity.status(s.replay() ? HttpStatus.OK : HttpStatus.CREATED)
        .contentType(MediaType.APPLICATION_JSON)
        .header("Idempotent-Replayed", Boolean.toString(s.replay()))
        .body(s.body());
  }

  @GetMapping
  public JobService.Page list(
      Caller caller,
      @RequestParam(required = false) String state,
      @RequestParam(required = false) String site,
      @RequestParam(required = false) String cursor,
      @RequestParam(defaultValue = "50") int limit) {
    return jobs.list(caller.require(Role.VIEWER), state, site, cursor, limit);
  }

  @GetMapping("/{id}")
  public JobView get(Caller caller, @PathVariable String id) {
    return jobs.get(caller.require(Role.VIEWER), Requests.uuid("id", id));
  }

  @PostMapping("/{id}/cancel")
  public JobView cancel(Caller caller, @PathVariable String id) {
    return jobs.cancel(caller.require(Role.OPERATOR), Requests.uuid("id", id));
  }

  @PostMapping("/{id}/retry")
  public JobView retry(Caller caller, @PathVariable String id) {
    return jobs.retry(caller.require(Role.OPERATOR), Requests.uuid("id", id));
  }

  @GetMapping("/{id}/tasks")
  public List<JobService.TaskView> tasks(Caller caller, @PathVariable String id) {
    return jobs.tasks(caller.require(Role.VIEWER), Requests.uuid("id", id));
  }

  /** The job's files with their latest outcome and first and last error; {@code ?status=failed}. */
  @GetMapping("/{id}/files")
  public List<JobService.FileView> files(
      Caller caller, @PathVariable String id, @RequestParam(required = false) String status) {
    return jobs.files(caller.require(Role.VIEWER), Requests.uuid("id", id), status);
  }

  @GetMapping("/{id}/history")
  public List<JobService.HistoryEntry> history(Caller caller, @PathVariable String id) {
    return jobs.history(caller.require(Role.VIEWER), Requests.uuid("id", id));
  }
}

package dev.ferry.control.tasks;

import dev.ferry.control.api.ApiProblem;
import dev.ferry.control.api.Requests;
import dev.ferry.model.protocol.ClaimRequest;
import dev.ferry.model.protocol.CompleteRequest;
import dev.ferry.model.protocol.HeartbeatRequest;
import dev.ferry.model.protocol.HeartbeatResponse;
import dev.ferry.model.protocol.Lease;
import dev.ferry.model.protocol.ReleaseRequest;
import dev.ferry.model.protocol.WorkerProtocol;
import dev.ferry.model.webhook.WebhookSigner;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/**
 * Worker callbacks ({@link WorkerProtocol}). Authenticated by signature, not by bearer token: the
 * raw body is verified before it is parsed.
 */
@RestController
@RequestMapping(WorkerProtocol.BASE_PATH)
public class WorkerCallbackController {
  private final CallbackVerifier verifier;
  private final TaskService tasks;
  private final JsonMapper json;
  private final MeterRegistry meters;

  public WorkerCallbackController(
      CallbackVerifier verifier, TaskService tasks, JsonMapper json, MeterRegistry meters) {
    this.verifier = verifier;
    this.tasks = tasks;
    this.json = json;
    this.meters = meters;
  }

  @PostMapping("/{id}/claim")
  public Lease claim(
      @PathVariable String id,
      @RequestHeader(name = WebhookSigner.HEADER_ID, required = false) String msgId,
      @RequestHeader(name = WebhookSigner.HEADER_TIMESTAMP, required = false) String ts,
      @RequestHeader(name = WebhookSigner.HEADER_SIGNATURE, required = false) String sig,
      @RequestBody(required = false) byte[] body) {
    ClaimRequest req = verified(msgId, ts, sig, body, ClaimRequest.class);
    return applied("claim", tasks.claim(Requests.uuid("id", id), req));
  }

  @PostMapping("/{id}/heartbeat")
  public HeartbeatResponse heartbeat(
      @PathVariable String id,
      @RequestHeader(name = WebhookSigner.HEADER_ID, required = false) String msgId,
      @RequestHeader(name = WebhookSigner.HEADER_TIMESTAMP, required = false) String ts,
      @RequestHeader(name = WebhookSigner.HEADER_SIGNATURE, required = false) String sig,
      @RequestBody(required = false) byte[] body) {
    HeartbeatRequest req = verified(msgId, ts, sig, body, HeartbeatRequest.class);
    return applied("heartbeat", tasks.heartbeat(Requests.uuid("id", id), req));
  }

  @PostMapping("/{id}/complete")
  public TaskService.Completion complete(
      @PathVariable String id,
      @RequestHeader(name = WebhookSigner.HEADER_ID, required = false) String msgId,
      @RequestHeader(name = WebhookSigner.HEADER_TIMESTAMP, required = false) String ts,
      @RequestHeader(name = WebhookSigner.HEADER_SIGNATURE, required = false) String sig,
      @RequestBody(required = false) byte[] body) {
    CompleteRequest req = verified(msgId, ts, sig, body, CompleteRequest.class);
    return applied("complete", tasks.complete(Requests.uuid("id", id), req));
  }

  @PostMapping("/{id}/release")
  public TaskService.Completion release(
      @PathVariable String id,
      @RequestHeader(name = WebhookSigner.HEADER_ID, required = false) String msgId,
      @RequestHeader(name = WebhookSigner.HEADER_TIMESTAMP, required = false) String ts,
      @RequestHeader(name = WebhookSigner.HEADER_SIGNATURE, required = false) String sig,
      @RequestBody(required = false) byte[] body) {
    ReleaseRequest req = verified(msgId, ts, sig, body, ReleaseRequest.class);
    return applied("release", tasks.release(Requests.uuid("id", id), req));
  }

  private <T> T verified(String msgId, String ts, String sig, byte[] body, Class<T> type) {
    byte[] raw = body == null ? new byte[0] : body;
    verifier.verify(msgId, ts, sig, raw);
    T req;
    try {
      req = json.readValue(raw, type);
    } catch (JacksonException e) {
      throw ApiProblem.badRequest("callback body is not a valid " + type.getSimpleName());
    }
    if (req == null) {
      throw ApiProblem.badRequest("callback body is required");
    }
    return req;
  }

  private <T> T applied(String kind, T result) {
    meters.counter("ferry.callbacks.applied", "kind", kind).increment();
    return result;
  }
}

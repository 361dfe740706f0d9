package dev.ferry.control.endpoints;

import dev.ferry.control.api.Requests;
import dev.ferry.control.auth.Caller;
import dev.ferry.model.Role;
import java.util.List;
import java.util.Map;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

/** {@code /api/v1/endpoints}: admins manage, everyone reads; credentials are write-only. */
@RestController
@RequestMapping("/api/v1/endpoints")
public class EndpointsController {
  private final EndpointService endpoints;

  public EndpointsController(EndpointService endpoints) {
    this.endpoints = endpoints;
  }

  public record CreateEndpoint(
      String name, String site, String uri, Map<String, String> credentials) {}

  @PostMapping
  @ResponseStatus(HttpStatus.CREATED)
  public EndpointService.Endpoint create(Caller caller, @RequestBody CreateEndpoint body) {
    if (body == null) {
      throw dev.ferry.control.api.ApiProblem.badRequest("request body is required");
    }
    return endpoints.create(
        caller.require(Role.ADMIN), body.name(), body.site(), body.uri(), body.credentials());
  }

  @GetMapping
  public List<EndpointService.Endpoint> list(Caller caller) {
    return endpoints.list(caller.require(Role.VIEWER));
  }

  @DeleteMapping("/{id}")
  @ResponseStatus(HttpStatus.NO_CONTENT)
  public void delete(Caller caller, @PathVariable String id) {
    endpoints.delete(caller.require(Role.ADMIN), Requests.uuid("id", id));
  }
}

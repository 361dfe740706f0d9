package dev.ferry.control.api;

import dev.ferry.model.FerryException;
import java.net.URI;
import java.util.Map;
import org.springframework.http.HttpStatus;

/**
 * An error the API reports as an RFC 9457 problem document. {@code type} is stable: clients may
 * switch on it.
 */
public class ApiProblem extends FerryException {
  public static final String TYPE_BASE = "https://ferry.dev/problems/";

  private final HttpStatus status;
  private final String slug;
  private final String title;
  private final Map<String, Object> properties;

  public ApiProblem(HttpStatus status, String slug, String title, String detail) {
    this(status, slug, title, detail, Map.of());
  }

  public ApiProblem(
      HttpStatus status, String slug, String title, String detail, Map<String, Object> props) {
    super(detail);
    this.status = status;
    this.slug = slug;
    this.title = title;
    this.properties = Map.copyOf(props);
  }

  public HttpStatus status() {
    return status;
  }

  public URI type() {
    return URI.create(TYPE_BASE + slug);
  }

  public String title() {
    return title;
  }

  public Map<String, Object> properties() {
    return properties;
  }

  public static ApiProblem badRequest(String detail) {
    return new ApiProblem(HttpStatus.BAD_REQUEST, "invalid-request", "Invalid request", detail);
  }

  public static ApiProblem notFound(String what, Object id) {
    return new ApiProblem(
        HttpStatus.NOT_FOUND, "not-found", "Not found", what + " " + id + " does not exist");
  }

  public static ApiProblem conflict(String slug, String detail) {
    return new ApiProblem(HttpStatus.CONFLICT, slug, "Conflict", detail);
  }

  public static ApiProblem unauthorized(String detail) {
    return new ApiProblem(HttpStatus.UNAUTHORIZED, "unauthorized", "Unauthorized", detail);
  }

  public static ApiProblem forbidden(String detail) {
    return new ApiProblem(HttpStatus.FORBIDDEN, "forbidden", "Forbidden", detail);
  }
}

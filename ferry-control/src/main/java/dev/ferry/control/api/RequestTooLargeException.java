package dev.ferry.control.api;

import java.io.IOException;
import org.springframework.http.HttpStatus;

/** Thrown while reading a request body that exceeds {@code ferry.max-request-bytes}. */
public final class RequestTooLargeException extends IOException {
  private final long limit;

  public RequestTooLargeException(long limit) {
    super("request body exceeds " + limit + " bytes");
    this.limit = limit;
  }

  public ApiProblem problem() {
    return new ApiProblem(
        HttpStatus.CONTENT_TOO_LARGE,
        "request-too-large",
        "Request too large",
        "request body exceeds the limit of " + limit + " bytes");
  }
}

package dev.ferry.control.api;

import jakarta.servlet.http.HttpServletRequest;
import java.net.URI;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.context.request.WebRequest;
import org.springframework.web.servlet.mvc.method.annotation.ResponseEntityExceptionHandler;

/**
 * Turns every error into an RFC 9457 problem document ({@code application/problem+json}): Ferry's
 * own {@link ApiProblem}s, Spring MVC's standard exceptions, and anything unexpected (500, with
 * details only in the log).
 */
@RestControllerAdvice
public class ProblemHandler extends ResponseEntityExceptionHandler {
  private static final Logger log = LoggerFactory.getLogger(ProblemHandler.class);

  @ExceptionHandler(ApiProblem.class)
  ResponseEntity<ProblemDetail> apiProblem(ApiProblem e, HttpServletRequest request) {
    return render(problemOf(e, request));
  }

  @ExceptionHandler(Exception.class)
  ResponseEntity<ProblemDetail> unexpected(Exception e, HttpServletRequest request) {
    log.error("unexpected error on {} {}", request.getMethod(), request.getRequestURI(), e);
    ProblemDetail pd =
        ProblemDetail.forStatusAndDetail(
            HttpStatus.INTERNAL_SERVER_ERROR, "internal error; see the server log");
    pd.setType(URI.create(ApiProblem.TYPE_BASE + "internal"));
    pd.setTitle("Internal error");
    pd.setInstance(URI.create(request.getRequestURI()));
    return render(pd);
  }

  @Override
  protected ResponseEntity<Object> handleHttpMessageNotReadable(
      HttpMessageNotReadableException ex,
      HttpHeaders headers,
      HttpStatusCode status,
      WebRequest request) {
    RequestTooLargeException tooLarge = causeOfType(ex, RequestTooLargeException.class);
    if (tooLarge != null) {
      return cast(render(problemOf(tooLarge.problem(), null)));
    }
    Throwable root = ex.getMostSpecificCause();
    String detail = "request body is not valid JSON for this operation: " + brief(root);
    return cast(render(problemOf(ApiProblem.badRequest(detail), null)));
  }

  @Override
  protected ResponseEntity<Object> handleExceptionInternal(
      Exception ex, Object body, HttpHeaders headers, HttpStatusCode status, WebRequest request) {
    ResponseEntity<Object> response =
        super.handleExceptionInternal(ex, body, headers, status, request);
    if (response != null && response.getBody() instanceof ProblemDetail pd) {
      if (pd.getType() == null || "about:blank".equals(pd.getType().toString())) {
        pd.setType(URI.create(ApiProblem.TYPE_BASE + "http-" + status.value()));
      }
      HttpHeaders h = new HttpHeaders();
      h.putAll(response.getHeaders());
      h.setContentType(MediaType.APPLICATION_PROBLEM_JSON);
      return new ResponseEntity<>(pd, h, response.getStatusCode());
    }
    return response;
  }

  static ProblemDetail problemOf(ApiProblem e, HttpServletRequest request) {
    ProblemDetail pd = ProblemDetail.forStatusAndDetail(e.status(), e.getMessage());
    pd.setType(e.type());
    pd.setTitle(e.title());
    if (request != null) {
      pd.setInstance(URI.create(request.getRequestURI()));
    }
    for (Map.Entry<String, Object> p : e.properties().entrySet()) {
      pd.setProperty(p.getKey(), p.getValue());
    }
    return pd;
  }

  private static ResponseEntity<ProblemDetail> render(ProblemDetail pd) {
    ResponseEntity.BodyBuilder b = ResponseEntity.status(pd.getStatus());
    if (pd.getStatus() == 401) {
      b.header(HttpHeaders.WWW_AUTHENTICATE, "Bearer realm=\"ferry\"");
    }
    return b.contentType(MediaType.APPLICATION_PROBLEM_JSON).body(pd);
  }

  @SuppressWarnings("unchecked")
  private static ResponseEntity<Object> cast(ResponseEntity<?> r) {
    return (ResponseEntity<Object>) r;
  }

  private static <T extends Throwable> T causeOfType(Throwable t, Class<T> type) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (type.isInstance(c)) {
        return type.cast(c);
      }
    }
    return null;
  }

  private static String brief(Throwable t) {
    String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    int newline = m.indexOf('\n');
    m = newline > 0 ? m.substring(0, newline) : m;
    return m.length() > 300 ? m.substring(0, 300) + "…" : m;
  }
}

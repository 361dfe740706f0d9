package dev.ferry.control.auth;

import dev.ferry.control.api.ApiProblem;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.core.MethodParameter;
import org.springframework.http.HttpHeaders;
import org.springframework.stereotype.Component;
import org.springframework.web.bind.support.WebDataBinderFactory;
import org.springframework.web.context.request.NativeWebRequest;
import org.springframework.web.method.support.HandlerMethodArgumentResolver;
import org.springframework.web.method.support.ModelAndViewContainer;
import org.springframework.web.servlet.HandlerInterceptor;

/**
 * Resolves the bearer token of every {@code /api/**} request into a {@link Caller} (401 when
 * missing, malformed, unknown or revoked) and hands it to controller methods that declare a {@code
 * Caller} parameter.
 */
@Component
public class AuthInterceptor implements HandlerInterceptor, HandlerMethodArgumentResolver {
  private static final String ATTRIBUTE = Caller.class.getName();
  private final TokenService tokens;

  public AuthInterceptor(TokenService tokens) {
    this.tokens = tokens;
  }

  @Override
  public boolean preHandle(
      HttpServletRequest request, HttpServletResponse response, Object handler) {
    String header = request.getHeader(HttpHeaders.AUTHORIZATION);
    if (header == null || header.isBlank()) {
      throw ApiProblem.unauthorized("missing bearer token (Authorization: Bearer ferry_…)");
    }
    if (!header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      throw ApiProblem.unauthorized("Authorization header is not a bearer token");
    }
    Caller caller =
        tokens
            .resolve(header.substring(7).strip())
            .orElseThrow(() -> ApiProblem.unauthorized("bearer token is unknown or revoked"));
    request.setAttribute(ATTRIBUTE, caller);
    return true;
  }

  @Override
  public boolean supportsParameter(MethodParameter parameter) {
    return parameter.getParameterType() == Caller.class;
  }

  @Override
  public Caller resolveArgument(
      MethodParameter parameter,
      ModelAndViewContainer mav,
      NativeWebRequest webRequest,
      WebDataBinderFactory binderFactory) {
    Caller caller = (Caller) webRequest.getAttribute(ATTRIBUTE, NativeWebRequest.SCOPE_REQUEST);
    if (caller == null) {
      throw ApiProblem.unauthorized("missing bearer token");
    }
    return caller;
  }
}

package dev.ferry.control.api;

import dev.ferry.control.auth.AuthInterceptor;
import java.util.List;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.method.support.HandlerMethodArgumentResolver;
import org.springframework.web.servlet.config.annotation.InterceptorRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

/** Bearer authentication on {@code /api/**}. */
@Configuration
public class WebConfig implements WebMvcConfigurer {
  private final AuthInterceptor auth;

  public WebConfig(AuthInterceptor auth) {
    this.auth = auth;
  }

  @Override
  public void addInterceptors(InterceptorRegistry registry) {
    registry
        .addInterceptor(auth)
        .addPathPatterns("/api/**")
        .excludePathPatterns("/api/v1/openapi.yaml");
  }

  @Override
  public void addArgumentResolvers(List<HandlerMethodArgumentResolver> resolvers) {
    resolvers.add(auth);
  }
}

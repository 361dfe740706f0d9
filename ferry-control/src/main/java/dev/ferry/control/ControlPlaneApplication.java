package dev.ferry.control;

import java.time.Clock;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;

/**
 * The control plane's Spring Boot application. Started by {@code ferry-app}'s launcher, which
 * supplies the data source and Kafka settings (embedded or external).
 */
@SpringBootApplication
@EnableConfigurationProperties(FerryProperties.class)
public class ControlPlaneApplication {

  /** The clock every component reads; tests register a settable one before this is consulted. */
  @Bean
  @ConditionalOnMissingBean
  static Clock clock() {
    return Clock.systemUTC();
  }
}

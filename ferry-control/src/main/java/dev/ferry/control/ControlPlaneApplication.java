package dev.ferry.control;

import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;

/**
 * The control plane's Spring Boot application. Started by {@code ferry-app}'s launcher, which
 * supplies the data source and Kafka settings (embedded or external).
 */
@SpringBootApplication
@EnableConfigurationProperties(FerryProperties.class)
public class ControlPlaneApplication {}

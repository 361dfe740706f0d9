package dev.ferry.model.protocol;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.Map;

/**
 * An endpoint as a worker needs it: its URI (e.g. {@code file:///srv/data}) and its decrypted
 * credentials. Sent only inside a lease; never logged.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record EndpointRef(String name, String uri, Map<String, String> credentials) {
  @Override
  public String toString() {
    return "EndpointRef[name=" + name + ", uri=" + uri + ", credentials=<redacted>]";
  }
}

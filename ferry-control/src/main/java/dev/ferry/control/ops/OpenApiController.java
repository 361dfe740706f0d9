package dev.ferry.control.ops;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import org.springframework.core.io.ClassPathResource;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code GET /api/v1/openapi.yaml}: the API's OpenAPI 3.1 document, unauthenticated ({@code
 * WebConfig} leaves exactly this path out of bearer auth).
 *
 * <p>A controller rather than a static resource because neither Spring nor the servlet container
 * maps {@code .yaml} to a media type, so a static file would go out as {@code
 * application/octet-stream}. The document is read once, at construction: a build without it fails
 * at start, not on the first request.
 */
@RestController
public class OpenApiController {
  /** Classpath location of the document; {@code OpenApiDocumentTest} checks it against the code. */
  public static final String RESOURCE = "openapi/ferry-v1.yaml";

  /** RFC 9512. Always UTF-8, so no charset parameter. */
  public static final MediaType APPLICATION_YAML = MediaType.parseMediaType("application/yaml");

  private final byte[] document;

  public OpenApiController() {
    this.document = load(RESOURCE);
  }

  @GetMapping("/api/v1/openapi.yaml")
  public ResponseEntity<byte[]> document() {
    return ResponseEntity.ok().contentType(APPLICATION_YAML).body(document);
  }

  private static byte[] load(String resource) {
    try (InputStream in = new ClassPathResource(resource).getInputStream()) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot read the OpenAPI document classpath:" + resource + ": " + e.getMessage(), e);
    }
  }
}

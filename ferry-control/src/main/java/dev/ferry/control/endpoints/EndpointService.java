package dev.ferry.control.endpoints;

import dev.ferry.control.api.ApiProblem;
import dev.ferry.control.api.Requests;
import dev.ferry.model.protocol.EndpointRef;
import java.net.URI;
import java.net.URISyntaxException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/** A tenant's storage endpoints. Credentials are write-only: encrypted at rest, never returned. */
@Service
public class EndpointService {
  private static final Set<String> SCHEMES = Set.of("file", "s3", "sftp");

  private final JdbcClient db;
  private final Clock clock;
  private final CredentialCipher cipher;
  private final JsonMapper json;

  public EndpointService(JdbcClient db, Clock clock, CredentialCipher cipher, JsonMapper json) {
    this.db = db;
    this.clock = clock;
    this.cipher = cipher;
    this.json = json;
  }

  /** An endpoint as the API shows it. */
  public record Endpoint(
      UUID id, String name, String site, String uri, boolean hasCredentials, Instant createdAt) {}

  /** An endpoint as the control plane uses it internally. */
  public record Resolved(UUID id, String name, String site, String uri) {}

  @Transactional
  public Endpoint create(
      UUID tenant, String name, String site, String uri, Map<String, String> credentials) {
    String n = Requests.name("name", name);
    String s = Requests.required("site", site);
    String u = validateUri(Requests.required("uri", uri));
    UUID siteId =
        db.sql("SELECT id FROM sites WHERE tenant_id = ? AND name = ?")
            .params(tenant, s)
            .query(UUID.class)
            .optional()
            .orElseThrow(() -> ApiProblem.badRequest("site '" + s + "' does not exist"));
    UUID id = UUID.randomUUID();
    Instant now = clock.instant();
    byte[] sealed =
        credentials == null || credentials.isEmpty()
            ? null
            : cipher.encrypt(json.writeValueAsString(credentials), id.toString());
    try {
      db.sql(
              "INSERT INTO endpoints (id, tenant_id, site_id, name, uri, credentials, created_at)"
                  + " VALUES (?, ?, ?, ?, ?, ?, ?)")
          .params(id, tenant, siteId, n, u, sealed, Timestamp.from(now))
          .update();
    } catch (DuplicateKeyException e) {
      throw ApiProblem.conflict("endpoint-exists", "endpoint '" + n + "' already exists");
    }
    return new Endpoint(id, n, s, u, sealed != null, now);
  }

  public List<Endpoint> list(UUID tenant) {
    return db.sql(
            "SELECT e.id, e.name, s.name AS site, e.uri, e.credentials IS NOT NULL AS has_creds,"
                + " e.created_at FROM endpoints e JOIN sites s ON s.id = e.site_id"
                + " WHERE e.tenant_id = ? AND e.deleted_at IS NULL ORDER BY e.name")
        .param(tenant)
        .query(
            (rs, i) ->
                new Endpoint(
                    rs.getObject("id", UUID.class),
                    rs.getString("name"),
                    rs.getString("site"),
                    rs.getString("uri"),
                    rs.getBoolean("has_creds"),
                    rs.getTimestamp("created_at").toInstant()))
        .list();
  }

  @Transactional
  public void delete(UUID tenant, UUID id) {
    int n =
        db.sql(
                "UPDATE endpoints SET deleted_at = ? WHERE id = ? AND tenant_id = ?"
                    + " AND deleted_at IS NULL")
            .params(Timestamp.from(clock.instant()), id, tenant)
            .update();
    if (n == 0) {
      throw ApiProblem.notFound("endpoint", id);
    }
  }

  /** A live endpoint of the tenant by name. */
  public Optional<Resolved> byName(UUID tenant, String name) {
    return db.sql(
            "SELECT e.id, e.name, s.name AS site, e.uri FROM endpoints e"
                + " JOIN sites s ON s.id = e.site_id"
                + " WHERE e.tenant_id = ? AND e.name = ? AND e.deleted_at IS NULL")
        .params(tenant, name)
        .query(
            (rs, i) ->
                new Resolved(
                    rs.getObject("id", UUID.class),
                    rs.getString("name"),
                    rs.getString("site"),
                    rs.getString("uri")))
        .optional();
  }

  /**
   * An endpoint by id, with decrypted credentials, for a worker's lease or the planner. Deleted
   * endpoints still resolve: jobs submitted before the deletion finish.
   */
  public EndpointRef reference(UUID id) {
    return db.sql("SELECT name, uri, credentials FROM endpoints WHERE id = ?")
        .param(id)
        .query(
            (rs, i) -> {
              byte[] sealed = rs.getBytes("credentials");
              Map<String, String> creds =
                  sealed == null
                      ? Map.of()
                      : json.readValue(
                          cipher.decrypt(sealed, id.toString()),
                          new TypeReference<Map<String, String>>() {});
              return new EndpointRef(rs.getString("name"), rs.getString("uri"), creds);
            })
        .single();
  }

  static String validateUri(String uri) {
    URI parsed;
    try {
      parsed = new URI(uri);
    } catch (URISyntaxException e) {
      throw ApiProblem.badRequest("uri '" + uri + "' is not a URI: " + e.getReason());
    }
    String scheme = parsed.getScheme();
    if (scheme == null || !SCHEMES.contains(scheme)) {
      throw ApiProblem.badRequest("uri '" + uri + "' must use one of the schemes " + SCHEMES);
    }
    if (scheme.equals("file") && (parsed.getPath() == null || !parsed.getPath().startsWith("/"))) {
      throw ApiProblem.badRequest("uri '" + uri + "' must be file:///absolute/path");
    }
    return uri;
  }
}

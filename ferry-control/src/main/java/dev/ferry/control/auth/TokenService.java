package dev.ferry.control.auth;

import dev.ferry.control.api.ApiProblem;
import dev.ferry.model.Role;
import dev.ferry.model.Tokens;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/** Issues, lists, resolves and revokes bearer tokens. Only SHA-256 hashes are stored. */
@Service
public class TokenService {
  private final JdbcClient db;
  private final Clock clock;
  private final LocalSecrets secrets;
  private final SecureRandom random = new SecureRandom();

  public TokenService(JdbcClient db, Clock clock, LocalSecrets secrets) {
    this.db = db;
    this.clock = clock;
    this.secrets = secrets;
  }

  /** A token as listed: never the secret. */
  public record TokenInfo(
      UUID id, String name, String role, Instant createdAt, Instant revokedAt) {}

  /** A token just issued: the only time its secret is shown. */
  public record IssuedToken(UUID id, String name, String role, Instant createdAt, String token) {}

  @Transactional
  public IssuedToken issue(UUID tenantId, String name, Role role) {
    String secret = Tokens.generate(random);
    UUID id = UUID.randomUUID();
    Instant now = clock.instant();
    db.sql(
            "INSERT INTO tokens (id, tenant_id, name, role, secret_hash, created_at)"
                + " VALUES (?, ?, ?, ?, ?, ?)")
        .params(id, tenantId, name, role.name(), Tokens.sha256Hex(secret), Timestamp.from(now))
        .update();
    return new IssuedToken(id, name, wire(role), now, secret);
  }

  public List<TokenInfo> list(UUID tenantId) {
    return db.sql(
            "SELECT id, name, role, created_at, revoked_at FROM tokens WHERE tenant_id = ?"
                + " ORDER BY created_at, id")
        .param(tenantId)
        .query(
            (rs, i) ->
                new TokenInfo(
                    rs.getObject("id", UUID.class),
                    rs.getString("name"),
                    rs.getString("role").toLowerCase(),
                    rs.getTimestamp("created_at").toInstant(),
                    Optional.ofNullable(rs.getTimestamp("revoked_at"))
                        .map(Timestamp::toInstant)
                        .orElse(null)))
        .list();
  }

  @Transactional
  public void revoke(UUID tenantId, UUID tokenId) {
    int n =
        db.sql(
                "UPDATE tokens SET revoked_at = coalesce(revoked_at, ?)"
                    + " WHERE id = ? AND tenant_id = ?")
            .params(Timestamp.from(clock.instant()), tokenId, tenantId)
            .update();
    if (n == 0) {
      throw ApiProblem.notFound("token", tokenId);
    }
  }

  /** The caller a presented bearer token stands for, if it is valid and not revoked. */
  public Optional<Caller> resolve(String presented) {
    if (presented == null || !Tokens.looksLikeToken(presented)) {
      return Optional.empty();
    }
    if (MessageDigest.isEqual(
        presented.getBytes(StandardCharsets.UTF_8),
        secrets.adminToken().getBytes(StandardCharsets.UTF_8))) {
      return Optional.of(Caller.rootToken());
    }
    return db.sql(
            "SELECT id, tenant_id, role FROM tokens WHERE secret_hash = ? AND revoked_at IS NULL")
        .param(Tokens.sha256Hex(presented))
        .query(
            (rs, i) ->
                new Caller(
                    rs.getObject("tenant_id", UUID.class),
                    rs.getObject("id", UUID.class),
                    Role.valueOf(rs.getString("role")),
                    false))
        .optional();
  }

  public static String wire(Role role) {
    return role.name().toLowerCase();
  }
}

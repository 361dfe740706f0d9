package dev.ferry.control.tenants;

import dev.ferry.control.api.ApiProblem;
import dev.ferry.control.api.Requests;
import dev.ferry.control.auth.Caller;
import dev.ferry.control.auth.TokenService;
import dev.ferry.model.Role;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.http.HttpStatus;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

/** Tenants: created by the root token, each with its first admin token. */
@RestController
@RequestMapping("/api/v1/tenants")
public class TenantsController {
  private final JdbcClient db;
  private final Clock clock;
  private final TokenService tokens;

  public TenantsController(JdbcClient db, Clock clock, TokenService tokens) {
    this.db = db;
    this.clock = clock;
    this.tokens = tokens;
  }

  public record CreateTenant(String name) {}

  public record Tenant(UUID id, String name, Instant createdAt) {}

  public record CreatedTenant(Tenant tenant, TokenService.IssuedToken adminToken) {}

  @PostMapping
  @ResponseStatus(HttpStatus.CREATED)
  @Transactional
  public CreatedTenant create(Caller caller, @RequestBody CreateTenant body) {
    caller.requireRoot();
    String name = Requests.name("name", body == null ? null : body.name());
    UUID id = UUID.randomUUID();
    Instant now = clock.instant();
    try {
      db.sql("INSERT INTO tenants (id, name, created_at) VALUES (?, ?, ?)")
          .params(id, name, Timestamp.from(now))
          .update();
    } catch (DuplicateKeyException e) {
      throw ApiProblem.conflict("tenant-exists", "tenant '" + name + "' already exists");
    }
    return new CreatedTenant(
        new Tenant(id, name, now), tokens.issue(id, "initial admin", Role.ADMIN));
  }

  @GetMapping
  public List<Tenant> list(Caller caller) {
    caller.requireRoot();
    return db.sql("SELECT id, name, created_at FROM tenants ORDER BY created_at, id")
        .query(
            (rs, i) ->
                new Tenant(
                    rs.getObject("id", UUID.class),
                    rs.getString("name"),
                    rs.getTimestamp("created_at").toInstant()))
        .list();
  }
}

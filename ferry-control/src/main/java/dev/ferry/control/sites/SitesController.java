package dev.ferry.control.sites;

import dev.ferry.control.api.ApiProblem;
import dev.ferry.control.api.Requests;
import dev.ferry.control.auth.Caller;
import dev.ferry.model.Role;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.http.HttpStatus;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

/** Sites: locations of a tenant's endpoints; admins create them, everyone reads them. */
@RestController
@RequestMapping("/api/v1/sites")
public class SitesController {
  private final JdbcClient db;
  private final Clock clock;

  public SitesController(JdbcClient db, Clock clock) {
    this.db = db;
    this.clock = clock;
  }

  public record CreateSite(String name, String description) {}

  public record Site(UUID id, String name, String description, Instant createdAt) {}

  @PostMapping
  @ResponseStatus(HttpStatus.CREATED)
  public Site create(Caller caller, @RequestBody CreateSite body) {
    UUID tenant = caller.require(Role.ADMIN);
    String name = Requests.name("name", body == null ? null : body.name());
    String description = Requests.optional(body.description(), "");
    Site site = new Site(UUID.randomUUID(), name, description, clock.instant());
    try {
      db.sql(
              "INSERT INTO sites (id, tenant_id, name, description, created_at)"
                  + " VALUES (?, ?, ?, ?, ?)")
          .params(site.id(), tenant, name, description, Timestamp.from(site.createdAt()))
          .update();
    } catch (DuplicateKeyException e) {
      throw ApiProblem.conflict("site-exists", "site '" + name + "' already exists");
    }
    return site;
  }

  @GetMapping
  public List<Site> list(Caller caller) {
    UUID tenant = caller.require(Role.VIEWER);
    return db.sql(
            "SELECT id, name, description, created_at FROM sites WHERE tenant_id = ?"
                + " ORDER BY name")
        .param(tenant)
        .query(
            (rs, i) ->
                new Site(
                    rs.getObject("id", UUID.class),
                    rs.getString("name"),
                    rs.getString("description"),
                    rs.getTimestamp("created_at").toInstant()))
        .list();
  }
}

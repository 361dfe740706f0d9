package dev.ferry.control.auth;

import dev.ferry.control.api.ApiProblem;
import dev.ferry.model.Role;
import java.util.UUID;

/**
 * Who is calling, resolved from the bearer token. The root token has no tenant and may only manage
 * tenants; every other caller acts within exactly one tenant.
 */
public record Caller(UUID tenantId, UUID tokenId, Role role, boolean root) {

  public static Caller rootToken() {
    return new Caller(null, null, Role.ADMIN, true);
  }

  /**
   * The caller's tenant, for a tenant-scoped operation that needs at least {@code required}.
   *
   * @throws ApiProblem 403 for the root token or a role below {@code required}
   */
  public UUID require(Role required) {
    if (root) {
      throw ApiProblem.forbidden(
          "the root token only manages tenants; use a tenant's token for this operation");
    }
    if (!role.includes(required)) {
      throw ApiProblem.forbidden(
          "this operation needs role "
              + required.name().toLowerCase()
              + "; the token has role "
              + role.name().toLowerCase());
    }
    return tenantId;
  }

  /** Asserts the root token. */
  public void requireRoot() {
    if (!root) {
      throw ApiProblem.forbidden("only the root (admin) token manages tenants");
    }
  }
}

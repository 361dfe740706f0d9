package dev.ferry.control.auth;

import dev.ferry.control.api.ApiProblem;
import dev.ferry.control.api.Requests;
import dev.ferry.model.Role;
import java.util.List;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

/** {@code /api/v1/tokens}: a tenant's admins issue, list and revoke tokens. */
@RestController
@RequestMapping("/api/v1/tokens")
public class TokensController {
  private final TokenService tokens;

  public TokensController(TokenService tokens) {
    this.tokens = tokens;
  }

  public record CreateToken(String name, String role) {}

  @PostMapping
  @ResponseStatus(HttpStatus.CREATED)
  public TokenService.IssuedToken create(Caller caller, @RequestBody CreateToken body) {
    if (body == null) {
      throw ApiProblem.badRequest("request body is required");
    }
    var tenant = caller.require(Role.ADMIN);
    String name = Requests.required("name", body.name());
    Role role =
        Requests.enumValue("role", Requests.required("role", body.role()), Role.class, null);
    return tokens.issue(tenant, name, role);
  }

  @GetMapping
  public List<TokenService.TokenInfo> list(Caller caller) {
    return tokens.list(caller.require(Role.ADMIN));
  }

  @DeleteMapping("/{id}")
  @ResponseStatus(HttpStatus.NO_CONTENT)
  public void revoke(Caller caller, @PathVariable String id) {
    tokens.revoke(caller.require(Role.ADMIN), Requests.uuid("id", id));
  }
}

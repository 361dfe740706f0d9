package dev.ferry.app;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/** The roles one {@code ferry server} process plays. */
public enum Roles {
  CONTROL,
  WORKER,
  TELEMETRY;

  /** Parses {@code control,worker,telemetry} (any subset, any order). */
  public static Set<Roles> parse(String text) {
    EnumSet<Roles> roles = EnumSet.noneOf(Roles.class);
    for (String part : text.split(",")) {
      String p = part.strip();
      if (p.isEmpty()) {
        continue;
      }
      try {
        roles.add(valueOf(p.toUpperCase(Locale.ROOT)));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "unknown role '" + p + "'; roles are control, worker, telemetry");
      }
    }
    if (roles.isEmpty()) {
      throw new IllegalArgumentException(
          "--roles needs at least one of control, worker, telemetry");
    }
    return roles;
  }
}

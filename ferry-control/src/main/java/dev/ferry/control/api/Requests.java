package dev.ferry.control.api;

import java.util.Locale;
import java.util.UUID;
import java.util.regex.Pattern;

/** Validation of request fields, each failure a 400 problem naming the field. */
public final class Requests {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,62}");

  private Requests() {}

  /** A required name: 1–63 characters of letters, digits, '_', '.', '-', starting alphanumeric. */
  public static String name(String field, String value) {
    String v = required(field, value);
    if (!NAME.matcher(v).matches()) {
      throw ApiProblem.badRequest(
          field
              + " '"
              + v
              + "' must be 1-63 letters, digits, '_', '.' or '-', starting with a letter or digit");
    }
    return v;
  }

  public static String required(String field, String value) {
    if (value == null || value.isBlank()) {
      throw ApiProblem.badRequest(field + " is required");
    }
    return value.strip();
  }

  public static String optional(String value, String fallback) {
    return value == null ? fallback : value;
  }

  /** Parses a wire enum value ({@code if-different}) into its constant ({@code IF_DIFFERENT}). */
  public static <E extends Enum<E>> E enumValue(
      String field, String value, Class<E> type, E fallback) {
    if (value == null) {
      return fallback;
    }
    try {
      return Enum.valueOf(type, value.strip().replace('-', '_').toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      StringBuilder allowed = new StringBuilder();
      for (E c : type.getEnumConstants()) {
        allowed.append(allowed.isEmpty() ? "" : "|").append(wire(c));
      }
      throw ApiProblem.badRequest(field + " '" + value + "' is not one of " + allowed);
    }
  }

  public static String wire(Enum<?> value) {
    return value.name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  public static UUID uuid(String field, String value) {
    try {
      return UUID.fromString(value);
    } catch (IllegalArgumentException e) {
      throw ApiProblem.badRequest(field + " '" + value + "' is not a UUID");
    }
  }
}

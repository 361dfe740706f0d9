package dev.ferry.model;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RoleTest {
  @ParameterizedTest(name = "{0} includes {1}: {2}")
  @CsvSource({
    "VIEWER,   VIEWER,   true",
    "VIEWER,   OPERATOR, false",
    "VIEWER,   ADMIN,    false",
    "OPERATOR, VIEWER,   true",
    "OPERATOR, OPERATOR, true",
    "OPERATOR, ADMIN,    false",
    "ADMIN,    VIEWER,   true",
    "ADMIN,    OPERATOR, true",
    "ADMIN,    ADMIN,    true"
  })
  void shouldIncludeTheRightsOfEveryLowerRole(Role held, Role required, boolean included) {
    assertThat(held.includes(required)).isEqualTo(included);
  }
}

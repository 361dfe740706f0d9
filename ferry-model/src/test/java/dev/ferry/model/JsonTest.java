package dev.ferry.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

class JsonTest {
  private final JsonMapper mapper = Json.mapper();

  record Plain(String name, int count) {}

  record Timed(Instant at, Duration after) {}

  record Tagged(Shade shade) {}

  /** An enum whose toString differs from its name, as Jackson 3 would otherwise write it. */
  enum Shade {
    DARK_BLUE;

    @Override
    public String toString() {
      return "dark blue";
    }
  }

  static final class Empty {}

  @Test
  void shouldShareOneMapper() {
    assertThat(Json.mapper()).isSameAs(Json.mapper());
  }

  @Test
  void shouldWriteInstantsAsIsoStringsWithFullPrecision() {
    Timed timed = new Timed(Instant.parse("2021-02-26T15:42:10.123456789Z"), Duration.ofMinutes(5));

    String json = mapper.writeValueAsString(timed);

    assertThat(json).isEqualTo("{\"at\":\"2021-02-26T15:42:10.123456789Z\",\"after\":\"PT5M\"}");
    assertThat(mapper.readValue(json, Timed.class)).isEqualTo(timed);
  }

  @Test
  void shouldIgnoreUnknownPropertiesOnUnannotatedTypes() {
    Plain plain = mapper.readValue("{\"name\":\"a\",\"count\":2,\"addedLater\":[1]}", Plain.class);

    assertThat(plain).isEqualTo(new Plain("a", 2));
  }

  @Test
  void shouldWriteABeanWithoutPropertiesAsAnEmptyObject() {
    assertThat(mapper.writeValueAsString(new Empty())).isEqualTo("{}");
  }

  @Test
  void shouldWriteAndReadEnumsByNameNotByToString() {
    String json = mapper.writeValueAsString(new Tagged(Shade.DARK_BLUE));

    assertThat(json).isEqualTo("{\"shade\":\"DARK_BLUE\"}");
    assertThat(mapper.readValue(json, Tagged.class)).isEqualTo(new Tagged(Shade.DARK_BLUE));
    assertThatThrownBy(() -> mapper.readValue("{\"shade\":\"dark blue\"}", Tagged.class))
        .isInstanceOf(JacksonException.class);
  }

  @Test
  void shouldRejectANumberInPlaceOfAnEnum() {
    assertThatThrownBy(() -> mapper.readValue("{\"shade\":0}", Tagged.class))
        .isInstanceOf(JacksonException.class);
  }

  @Test
  void shouldLetCallersExtendTheSameConfiguration() {
    JsonMapper extended = Json.builder().build();

    assertThat(extended.writeValueAsString(new Tagged(Shade.DARK_BLUE)))
        .isEqualTo(mapper.writeValueAsString(new Tagged(Shade.DARK_BLUE)));
    assertThat(extended).isNotSameAs(mapper);
  }
}

package dev.ferry.model;

import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.cfg.DateTimeFeature;
import tools.jackson.databind.cfg.EnumFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * Ferry's one JSON configuration, for Kafka payloads, worker callbacks and the REST API alike, so
 * that every module writes the same bytes for the same value:
 *
 * <ul>
 *   <li>{@code Instant}, {@code Duration} and other {@code java.time} values as ISO-8601 strings
 *       ({@code "2021-02-26T15:42:10Z"}, {@code "PT5M"}), never as numbers;
 *   <li>unknown properties ignored, so that an older reader accepts a newer writer's payload;
 *   <li>a bean without properties written as {@code {}} instead of failing;
 *   <li>enums written and read by {@link Enum#name()} (Jackson 3 defaults to {@code toString()}); a
 *       number in place of an enum is rejected.
 * </ul>
 *
 * <p>The features are set explicitly, even where they match Jackson 3's defaults, so that a change
 * of defaults cannot change the wire format.
 */
public final class Json {
  private static final JsonMapper MAPPER = builder().build();

  private Json() {}

  /** The shared mapper. Immutable and thread-safe; reuse it rather than building new ones. */
  public static JsonMapper mapper() {
    return MAPPER;
  }

  /**
   * A fresh builder carrying Ferry's configuration, for a caller that must add to it (for example a
   * framework customizer). Whatever is added should keep the properties listed above.
   */
  public static JsonMapper.Builder builder() {
    return JsonMapper.builder()
        .disable(DateTimeFeature.WRITE_DATES_AS_TIMESTAMPS)
        .disable(DateTimeFeature.WRITE_DURATIONS_AS_TIMESTAMPS)
        .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
        .disable(EnumFeature.WRITE_ENUMS_USING_TO_STRING)
        .disable(EnumFeature.READ_ENUMS_USING_TO_STRING)
        .enable(EnumFeature.FAIL_ON_NUMBERS_FOR_ENUMS);
  }
}

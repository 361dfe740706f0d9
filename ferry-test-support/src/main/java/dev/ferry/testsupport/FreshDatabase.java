package dev.ferry.testsupport;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a {@code String} parameter that {@link EmbeddedPostgresExtension} fills with the JDBC URL
 * of a newly created, empty database on the shared server ({@link
 * SharedPostgres#freshDatabase(String)}). Every resolved parameter gets its own database.
 */
@Documented
@Target(ElementType.PARAMETER)
@Retention(RetentionPolicy.RUNTIME)
public @interface FreshDatabase {
  /** Name prefix of the database; empty (the default) means the test class's simple name. */
  String value() default "";
}

/**
 * Embedded infrastructure for the single-process demo and for tests: a real PostgreSQL ({@link
 * dev.ferry.embedded.EmbeddedPostgresServer}) and a real single-node KRaft Kafka broker ({@link
 * dev.ferry.embedded.EmbeddedKafkaBroker}), both keeping their data in a directory the caller owns
 * so that a restart finds everything where it was left. Both bind to 127.0.0.1 only.
 *
 * <p>Failures surface as {@link dev.ferry.embedded.EmbeddedServerException}.
 */
package dev.ferry.embedded;

/**
 * Test support shared by Ferry's modules: one embedded PostgreSQL ({@link
 * dev.ferry.testsupport.SharedPostgres}) and one embedded Kafka broker ({@link
 * dev.ferry.testsupport.SharedKafka}) per JVM, started lazily on first use and stopped by a JVM
 * shutdown hook; JUnit extensions that inject them; and {@link dev.ferry.testsupport.SettableClock}
 * for deterministic time.
 *
 * <p>Surefire runs all test classes of a module in one JVM by default, so a module pays the start
 * cost once. Isolation between test classes comes from fresh databases ({@link
 * dev.ferry.testsupport.SharedPostgres#freshDatabase(String)}) and distinct topic and group names,
 * not from separate servers.
 */
package dev.ferry.testsupport;

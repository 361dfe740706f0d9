/**
 * Storage endpoints: one small SPI ({@link dev.ferry.storage.StorageEndpoint}) with a few required
 * operations and optional capability interfaces, plus the adapters. Plain Java, no Spring.
 *
 * <p>Paths are endpoint-relative, '/'-separated and validated by {@link
 * dev.ferry.storage.RelativePath}. Writes go to a temporary object first and become visible at
 * their final name only on {@link dev.ferry.storage.PendingWrite#commit()}.
 */
package dev.ferry.storage;

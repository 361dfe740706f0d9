/**
 * The S3 storage adapter: {@link dev.ferry.storage.s3.S3Endpoint} for Amazon S3 and S3-compatible
 * servers (AWS SDK v2), opened for {@code s3:} URIs by {@link
 * dev.ferry.storage.s3.S3StorageProvider}. Everything else in the package is internal.
 */
package dev.ferry.storage.s3;

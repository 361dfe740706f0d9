/** The s3 storage adapter. */
package dev.ferry.storage.s3;

/** The sftp storage adapter. */
package dev.ferry.storage.sftp;

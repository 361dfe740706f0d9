/**
 * The SFTP storage adapter: {@link dev.ferry.storage.sftp.SftpEndpoint} over Apache MINA SSHD,
 * opened for {@code sftp:} URIs by {@link dev.ferry.storage.sftp.SftpStorageProvider}. Plain Java.
 */
package dev.ferry.storage.sftp;

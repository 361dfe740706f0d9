package dev.ferry.storage;

import dev.ferry.model.FerryException;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.util.Locale;
import java.util.Objects;

/**
 * Root of the storage layer's unchecked exceptions. Every instance carries an {@link ErrorClass}
 * (stable, reported to the control plane as {@code FileResult.FileError.errorClass}) and whether
 * another attempt may succeed.
 */
public class StorageException extends FerryException {

  /** Stable error classes; {@link #wireName()} is what travels in file results. */
  public enum ErrorClass {
    /** The object does not exist. */
    NOT_FOUND(false),
    /** The endpoint refused access. */
    PERMISSION(false),
    /** A transient or unknown I/O failure. */
    IO(true),
    /** The bytes read back did not match the bytes sent. */
    CHECKSUM_MISMATCH(true),
    /** The path is malformed or escapes the endpoint. */
    INVALID_PATH(false),
    /** The object exists but has the wrong kind (a directory where a file was expected). */
    CONFLICT(false),
    /** The scheme or operation is not supported by this endpoint. */
    UNSUPPORTED(false);

    private final boolean retryableByDefault;

    ErrorClass(boolean retryableByDefault) {
      this.retryableByDefault = retryableByDefault;
    }

    public boolean retryableByDefault() {
      return retryableByDefault;
    }

    /** e.g. {@code not-found}, {@code checksum-mismatch}. */
    public String wireName() {
      return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
  }

  private final ErrorClass errorClass;
  private final boolean retryable;

  public StorageException(ErrorClass errorClass, String message) {
    this(errorClass, message, null);
  }

  public StorageException(ErrorClass errorClass, String message, Throwable cause) {
    this(errorClass, errorClass.retryableByDefault(), message, cause);
  }

  public StorageException(
      ErrorClass errorClass, boolean retryable, String message, Throwable cause) {
    super(message, cause);
    this.errorClass = Objects.requireNonNull(errorClass, "errorClass");
    this.retryable = retryable;
  }

  /**
   * Classifies an I/O failure on {@code what} (a path or an operation and its path).
   *
   * @return a {@code StorageException} with the class that fits the failure's type
   */
  public static StorageException of(String what, IOException e) {
    String detail = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    if (e instanceof NoSuchFileException) {
      return new StorageException(ErrorClass.NOT_FOUND, what + ": not found (" + detail + ")", e);
    }
    if (e instanceof AccessDeniedException) {
      return new StorageException(
          ErrorClass.PERMISSION, what + ": permission denied (" + detail + ")", e);
    }
    if (e instanceof FileAlreadyExistsException || e instanceof NotDirectoryException) {
      return new StorageException(ErrorClass.CONFLICT, what + ": " + detail, e);
    }
    return new StorageException(ErrorClass.IO, what + ": " + detail, e);
  }

  public ErrorClass errorClass() {
    return errorClass;
  }

  /** Whether another attempt may succeed. */
  public boolean retryable() {
    return retryable;
  }
}

package dev.ferry.app.cli;

/** A CLI failure, printed as one line ({@code ferry: <message>}) with a non-zero exit code. */
public final class CliException extends RuntimeException {
  private final int exitCode;

  public CliException(String message) {
    this(message, 1);
  }

  public CliException(String message, int exitCode) {
    super(message);
    this.exitCode = exitCode;
  }

  public int exitCode() {
    return exitCode;
  }
}

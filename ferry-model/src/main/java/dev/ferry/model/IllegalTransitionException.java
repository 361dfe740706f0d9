package dev.ferry.model;

/** A state change that the transition table does not allow. */
public final class IllegalTransitionException extends FerryException {
  private final Enum<?> from;
  private final Enum<?> to;

  public IllegalTransitionException(String what, Enum<?> from, Enum<?> to) {
    super(what + " cannot move from " + from + " to " + to);
    this.from = from;
    this.to = to;
  }

  public Enum<?> from() {
    return from;
  }

  public Enum<?> to() {
    return to;
  }
}

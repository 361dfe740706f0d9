package dev.ferry.model;

import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * The life of a task, the unit a worker executes.
 *
 * <pre>
 *  PENDING ──► DISPATCHED ──► RUNNING ──► SUCCEEDED
 *     ▲            │             │  └───► FAILED
 *     │            │  (no claim) │ retryable failure, expired lease, released
 *     └────────────┴─────────────┘        (attempt + 1, after backoff)
 *  any non-terminal state ──► CANCELLED
 * </pre>
 *
 * <p>{@code SUCCEEDED}, {@code FAILED} and {@code CANCELLED} are terminal. Every move back to
 * {@code PENDING} increments the attempt number, which fences callbacks from the old attempt.
 */
public enum TaskState {
  PENDING,
  DISPATCHED,
  RUNNING,
  SUCCEEDED,
  FAILED,
  CANCELLED;

  private static final Map<TaskState, Set<TaskState>> ALLOWED =
      Map.of(
          PENDING, EnumSet.of(DISPATCHED, CANCELLED),
          DISPATCHED, EnumSet.of(RUNNING, PENDING, CANCELLED),
          RUNNING, EnumSet.of(SUCCEEDED, FAILED, PENDING, CANCELLED),
          SUCCEEDED, EnumSet.noneOf(TaskState.class),
          FAILED, EnumSet.noneOf(TaskState.class),
          CANCELLED, EnumSet.noneOf(TaskState.class));

  public boolean isTerminal() {
    return ALLOWED.get(this).isEmpty();
  }

  public boolean canTransitionTo(TaskState next) {
    return ALLOWED.get(this).contains(next);
  }

  /**
   * Returns {@code next} when the table allows it.
   *
   * @throws IllegalTransitionException otherwise
   */
  public TaskState transitionTo(TaskState next) {
    if (!canTransitionTo(next)) {
      throw new IllegalTransitionException("task", this, next);
    }
    return next;
  }

  /** The states from which {@code target} can be reached in one step. */
  public static Set<TaskState> predecessorsOf(TaskState target) {
    EnumSet<TaskState> result = EnumSet.noneOf(TaskState.class);
    for (TaskState s : values()) {
      if (s.canTransitionTo(target)) {
        result.add(s);
      }
    }
    return result;
  }
}

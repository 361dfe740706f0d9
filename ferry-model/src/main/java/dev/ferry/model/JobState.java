package dev.ferry.model;

import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * The life of a job. One transition table; every change goes through {@link #transitionTo}.
 *
 * <pre>
 *  SUBMITTED ──► PLANNING ──► RUNNING ──► SUCCEEDED
 *      │             │           │  ├──► PARTIALLY_SUCCEEDED ─┐
 *      │             │           │  └──► FAILED ──────────────┤ retry
 *      │             │           ▼                            ▼
 *      └─────────────┴──────► CANCELLED                   RUNNING
 * </pre>
 *
 * <p>{@code SUCCEEDED} and {@code CANCELLED} are terminal: nothing leaves them. {@code FAILED} and
 * {@code PARTIALLY_SUCCEEDED} are settled: the job does nothing more on its own, and the only way
 * out is an explicit retry by an operator, which re-opens the job with new tasks for the failed
 * files (the failed task rows themselves stay {@code FAILED} forever). A planning failure (source
 * unreadable) moves {@code PLANNING → FAILED}; a plan with nothing to transfer (empty source, or a
 * sync with nothing changed) moves {@code PLANNING → SUCCEEDED} directly. No state moves to itself:
 * callers applying a duplicate event check the current state first.
 */
public enum JobState {
  SUBMITTED,
  PLANNING,
  RUNNING,
  SUCCEEDED,
  PARTIALLY_SUCCEEDED,
  FAILED,
  CANCELLED;

  private static final Map<JobState, Set<JobState>> ALLOWED =
      Map.of(
          SUBMITTED, EnumSet.of(PLANNING, CANCELLED),
          PLANNING, EnumSet.of(RUNNING, SUCCEEDED, FAILED, CANCELLED),
          RUNNING, EnumSet.of(SUCCEEDED, PARTIALLY_SUCCEEDED, FAILED, CANCELLED),
          SUCCEEDED, EnumSet.noneOf(JobState.class),
          PARTIALLY_SUCCEEDED, EnumSet.of(RUNNING),
          FAILED, EnumSet.of(RUNNING),
          CANCELLED, EnumSet.noneOf(JobState.class));

  /** True for states that never change again. */
  public boolean isTerminal() {
    return this == SUCCEEDED || this == CANCELLED;
  }

  /** True when the job does no more work on its own (terminal or awaiting an explicit retry). */
  public boolean isSettled() {
    return isTerminal() || this == FAILED || this == PARTIALLY_SUCCEEDED;
  }

  public boolean canTransitionTo(JobState next) {
    return ALLOWED.get(this).contains(next);
  }

  /**
   * Returns {@code next} when the table allows it.
   *
   * @throws IllegalTransitionException otherwise
   */
  public JobState transitionTo(JobState next) {
    if (!canTransitionTo(next)) {
      throw new IllegalTransitionException("job", this, next);
    }
    return next;
  }

  /** The states from which {@code target} can be reached in one step. */
  public static Set<JobState> predecessorsOf(JobState target) {
    EnumSet<JobState> result = EnumSet.noneOf(JobState.class);
    for (JobState s : values()) {
      if (s.canTransitionTo(target)) {
        result.add(s);
      }
    }
    return result;
  }
}

package dev.ferry.model;

import static dev.ferry.model.TaskState.CANCELLED;
import static dev.ferry.model.TaskState.DISPATCHED;
import static dev.ferry.model.TaskState.FAILED;
import static dev.ferry.model.TaskState.PENDING;
import static dev.ferry.model.TaskState.RUNNING;
import static dev.ferry.model.TaskState.SUCCEEDED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

class TaskStateTest {
  // Rows: from. Columns: to, in declaration order. x = allowed, . = rejected.
  private static final String TABLE =
      """
                   PEND DISP RUNN SUCC FAIL CANC
      PENDING       .    x    .    .    .    x
      DISPATCHED    x    .    x    .    .    x
      RUNNING       x    .    .    x    x    x
      SUCCEEDED     .    .    .    .    .    .
      FAILED        .    .    .    .    .    .
      CANCELLED     .    .    .    .    .    .
      """;

  private static final Map<TaskState, Set<TaskState>> EXPECTED =
      TransitionTable.parse(TaskState.class, TABLE);

  static Stream<Arguments> everyPair() {
    return TransitionTable.everyPair(TaskState.class, EXPECTED);
  }

  @ParameterizedTest(name = "{0} -> {1} allowed: {2}")
  @MethodSource("everyPair")
  void shouldAllowExactlyTheTransitionsOfTheTable(TaskState from, TaskState to, boolean allowed) {
    assertThat(from.canTransitionTo(to)).isEqualTo(allowed);
    if (allowed) {
      assertThat(from.transitionTo(to)).isSameAs(to);
    } else {
      assertThatThrownBy(() -> from.transitionTo(to))
          .isInstanceOfSatisfying(
              IllegalTransitionException.class,
              e -> {
                assertThat(e.from()).isSameAs(from);
                assertThat(e.to()).isSameAs(to);
                assertThat(e).hasMessage("task cannot move from " + from + " to " + to);
              });
    }
  }

  @Test
  void shouldCheckEveryOrderedPairOfStates() {
    int states = TaskState.values().length;
    assertThat(everyPair()).hasSize(states * states);
  }

  @ParameterizedTest
  @EnumSource(names = {"SUCCEEDED", "FAILED", "CANCELLED"})
  void shouldRejectEveryExitFromATerminalState(TaskState terminal) {
    for (TaskState to : TaskState.values()) {
      assertThatThrownBy(() -> terminal.transitionTo(to))
          .isInstanceOf(IllegalTransitionException.class);
    }
  }

  @Test
  void shouldBeTerminalOnlyWhenSucceededFailedOrCancelled() {
    assertThat(statesWhere(TaskState::isTerminal))
        .containsExactlyInAnyOrder(SUCCEEDED, FAILED, CANCELLED);
  }

  @ParameterizedTest
  @EnumSource(TaskState.class)
  void shouldBeTerminalExactlyWhenTheTableHasNoExit(TaskState state) {
    assertThat(state.isTerminal()).isEqualTo(EXPECTED.get(state).isEmpty());
  }

  @ParameterizedTest
  @EnumSource(names = {"PENDING", "DISPATCHED", "RUNNING"})
  void shouldAllowCancellingEveryNonTerminalState(TaskState state) {
    assertThat(state.transitionTo(CANCELLED)).isSameAs(CANCELLED);
  }

  @ParameterizedTest
  @EnumSource(names = {"DISPATCHED", "RUNNING"})
  void shouldRequeueAnAttemptThatWasDispatchedOrRunning(TaskState state) {
    assertThat(state.transitionTo(PENDING)).isSameAs(PENDING);
  }

  @ParameterizedTest
  @EnumSource(TaskState.class)
  void shouldComputePredecessorsFromTheTable(TaskState target) {
    Set<TaskState> expected =
        EXPECTED.entrySet().stream()
            .filter(e -> e.getValue().contains(target))
            .map(Map.Entry::getKey)
            .collect(Collectors.toCollection(() -> EnumSet.noneOf(TaskState.class)));
    assertThat(TaskState.predecessorsOf(target)).isEqualTo(expected);
  }

  @Test
  void shouldListThePredecessorsOfEachState() {
    assertThat(TaskState.predecessorsOf(PENDING)).containsExactlyInAnyOrder(DISPATCHED, RUNNING);
    assertThat(TaskState.predecessorsOf(DISPATCHED)).containsExactly(PENDING);
    assertThat(TaskState.predecessorsOf(RUNNING)).containsExactly(DISPATCHED);
    assertThat(TaskState.predecessorsOf(SUCCEEDED)).containsExactly(RUNNING);
    assertThat(TaskState.predecessorsOf(FAILED)).containsExactly(RUNNING);
    assertThat(TaskState.predecessorsOf(CANCELLED))
        .containsExactlyInAnyOrder(PENDING, DISPATCHED, RUNNING);
  }

  @Test
  void shouldReachEveryStateFromPending() {
    assertThat(TransitionTable.reachableFrom(PENDING, EXPECTED))
        .containsExactlyInAnyOrder(TaskState.values());
  }

  @ParameterizedTest
  @EnumSource(TaskState.class)
  void shouldAlwaysBeAbleToReachATerminalState(TaskState state) {
    assertThat(TransitionTable.reachableFrom(state, EXPECTED)).anyMatch(TaskState::isTerminal);
  }

  private static Set<TaskState> statesWhere(java.util.function.Predicate<TaskState> predicate) {
    return Arrays.stream(TaskState.values())
        .filter(predicate)
        .collect(Collectors.toCollection(() -> EnumSet.noneOf(TaskState.class)));
  }
}

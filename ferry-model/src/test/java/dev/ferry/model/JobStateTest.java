package dev.ferry.model;

import static dev.ferry.model.JobState.CANCELLED;
import static dev.ferry.model.JobState.FAILED;
import static dev.ferry.model.JobState.PARTIALLY_SUCCEEDED;
import static dev.ferry.model.JobState.PLANNING;
import static dev.ferry.model.JobState.RUNNING;
import static dev.ferry.model.JobState.SUBMITTED;
import static dev.ferry.model.JobState.SUCCEEDED;
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

class JobStateTest {
  // Rows: from. Columns: to, in declaration order. x = allowed, . = rejected.
  private static final String TABLE =
      """
                          SUBM PLAN RUNN SUCC PART FAIL CANC
      SUBMITTED            .    x    .    .    .    .    x
      PLANNING             .    .    x    x    .    x    x
      RUNNING              .    .    .    x    x    x    x
      SUCCEEDED            .    .    .    .    .    .    .
      PARTIALLY_SUCCEEDED  .    .    x    .    .    .    .
      FAILED               .    .    x    .    .    .    .
      CANCELLED            .    .    .    .    .    .    .
      """;

  private static final Map<JobState, Set<JobState>> EXPECTED =
      TransitionTable.parse(JobState.class, TABLE);

  static Stream<Arguments> everyPair() {
    return TransitionTable.everyPair(JobState.class, EXPECTED);
  }

  @ParameterizedTest(name = "{0} -> {1} allowed: {2}")
  @MethodSource("everyPair")
  void shouldAllowExactlyTheTransitionsOfTheTable(JobState from, JobState to, boolean allowed) {
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
                assertThat(e).hasMessage("job cannot move from " + from + " to " + to);
              });
    }
  }

  @Test
  void shouldCheckEveryOrderedPairOfStates() {
    int states = JobState.values().length;
    assertThat(everyPair()).hasSize(states * states);
  }

  @ParameterizedTest
  @EnumSource(names = {"SUCCEEDED", "CANCELLED"})
  void shouldRejectEveryExitFromATerminalState(JobState terminal) {
    for (JobState to : JobState.values()) {
      assertThatThrownBy(() -> terminal.transitionTo(to))
          .isInstanceOf(IllegalTransitionException.class);
    }
  }

  @Test
  void shouldBeTerminalOnlyWhenSucceededOrCancelled() {
    assertThat(statesWhere(JobState::isTerminal)).containsExactlyInAnyOrder(SUCCEEDED, CANCELLED);
  }

  @ParameterizedTest
  @EnumSource(JobState.class)
  void shouldBeTerminalExactlyWhenTheTableHasNoExit(JobState state) {
    assertThat(state.isTerminal()).isEqualTo(EXPECTED.get(state).isEmpty());
  }

  @Test
  void shouldBeSettledWhenTerminalFailedOrPartiallySucceeded() {
    assertThat(statesWhere(JobState::isSettled))
        .containsExactlyInAnyOrder(SUCCEEDED, CANCELLED, FAILED, PARTIALLY_SUCCEEDED);
  }

  @ParameterizedTest
  @EnumSource(JobState.class)
  void shouldBeSettledWheneverTerminal(JobState state) {
    if (state.isTerminal()) {
      assertThat(state.isSettled()).isTrue();
    }
  }

  @ParameterizedTest
  @EnumSource(names = {"FAILED", "PARTIALLY_SUCCEEDED"})
  void shouldLeaveASettledNonTerminalStateOnlyByRetryingIntoRunning(JobState settled) {
    assertThat(statesWhere(settled::canTransitionTo)).containsExactly(RUNNING);
  }

  @ParameterizedTest
  @EnumSource(JobState.class)
  void shouldComputePredecessorsFromTheTable(JobState target) {
    Set<JobState> expected =
        EXPECTED.entrySet().stream()
            .filter(e -> e.getValue().contains(target))
            .map(Map.Entry::getKey)
            .collect(Collectors.toCollection(() -> EnumSet.noneOf(JobState.class)));
    assertThat(JobState.predecessorsOf(target)).isEqualTo(expected);
  }

  @Test
  void shouldListThePredecessorsOfEachState() {
    assertThat(JobState.predecessorsOf(SUBMITTED)).isEmpty();
    assertThat(JobState.predecessorsOf(PLANNING)).containsExactly(SUBMITTED);
    assertThat(JobState.predecessorsOf(RUNNING))
        .containsExactlyInAnyOrder(PLANNING, PARTIALLY_SUCCEEDED, FAILED);
    assertThat(JobState.predecessorsOf(SUCCEEDED)).containsExactlyInAnyOrder(PLANNING, RUNNING);
    assertThat(JobState.predecessorsOf(PARTIALLY_SUCCEEDED)).containsExactly(RUNNING);
    assertThat(JobState.predecessorsOf(FAILED)).containsExactlyInAnyOrder(PLANNING, RUNNING);
    assertThat(JobState.predecessorsOf(CANCELLED))
        .containsExactlyInAnyOrder(SUBMITTED, PLANNING, RUNNING);
  }

  @Test
  void shouldReachEveryStateFromSubmitted() {
    assertThat(TransitionTable.reachableFrom(SUBMITTED, EXPECTED))
        .containsExactlyInAnyOrder(JobState.values());
  }

  @ParameterizedTest
  @EnumSource(JobState.class)
  void shouldAlwaysBeAbleToReachATerminalState(JobState state) {
    assertThat(TransitionTable.reachableFrom(state, EXPECTED)).anyMatch(JobState::isTerminal);
  }

  private static Set<JobState> statesWhere(java.util.function.Predicate<JobState> predicate) {
    return Arrays.stream(JobState.values())
        .filter(predicate)
        .collect(Collectors.toCollection(() -> EnumSet.noneOf(JobState.class)));
  }
}

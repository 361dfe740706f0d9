package dev.ferry.model;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;

/**
 * Reads an expected transition table written as a matrix: one header line of column labels (each a
 * prefix of the state's name, in declaration order), then one row per state in declaration order
 * with {@code x} (allowed) or {@code .} (rejected) under every column. The layout is checked
 * strictly, so that a new state cannot slip past the tests by being absent from the table.
 */
final class TransitionTable {
  private TransitionTable() {}

  static <S extends Enum<S>> Map<S, Set<S>> parse(Class<S> type, String table) {
    S[] states = type.getEnumConstants();
    List<String> lines = table.strip().lines().map(String::strip).toList();
    require(lines.size() == states.length + 1, "expected a header and " + states.length + " rows");
    String[] header = lines.get(0).split("\\s+");
    require(header.length == states.length, "header has " + header.length + " columns");
    for (int i = 0; i < states.length; i++) {
      require(
          states[i].name().startsWith(header[i]),
          "column " + i + " is " + header[i] + ", expected a prefix of " + states[i]);
    }
    Map<S, Set<S>> allowed = new EnumMap<>(type);
    for (int row = 0; row < states.length; row++) {
      String[] cells = lines.get(row + 1).split("\\s+");
      require(cells.length == states.length + 1, "row " + cells[0] + " has the wrong width");
      require(cells[0].equals(states[row].name()), "row " + row + " should be " + states[row]);
      Set<S> targets = EnumSet.noneOf(type);
      for (int column = 0; column < states.length; column++) {
        String cell = cells[column + 1];
        require(cell.equals("x") || cell.equals("."), "cell '" + cell + "' is neither x nor .");
        if (cell.equals("x")) {
          targets.add(states[column]);
        }
      }
      allowed.put(states[row], targets);
    }
    return allowed;
  }

  /** (from, to, allowed) for every ordered pair of states, self-pairs included. */
  static <S extends Enum<S>> Stream<Arguments> everyPair(Class<S> type, Map<S, Set<S>> allowed) {
    List<Arguments> pairs = new ArrayList<>();
    for (S from : type.getEnumConstants()) {
      for (S to : type.getEnumConstants()) {
        pairs.add(Arguments.of(from, to, allowed.get(from).contains(to)));
      }
    }
    return pairs.stream();
  }

  /** Every state reachable from {@code start} through the table, {@code start} included. */
  static <S extends Enum<S>> Set<S> reachableFrom(S start, Map<S, Set<S>> allowed) {
    Set<S> seen = EnumSet.of(start);
    List<S> frontier = new ArrayList<>(List.of(start));
    while (!frontier.isEmpty()) {
      S next = frontier.remove(frontier.size() - 1);
      for (S to : allowed.get(next)) {
        if (seen.add(to)) {
          frontier.add(to);
        }
      }
    }
    return seen;
  }

  private static void require(boolean condition, String message) {
    if (!condition) {
      throw new IllegalArgumentException("malformed transition table: " + message);
    }
  }
}

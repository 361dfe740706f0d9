package dev.ferry.app.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import tools.jackson.databind.JsonNode;

/** Prints JSON rows as an aligned text table, or as JSON with {@code --output json}. */
public final class Table {
  private final List<String> headers = new ArrayList<>();
  private final List<Function<JsonNode, String>> cells = new ArrayList<>();

  public Table column(String header, Function<JsonNode, String> cell) {
    headers.add(header);
    cells.add(cell);
    return this;
  }

  /** A column showing a (possibly nested, dot-separated) field. */
  public Table column(String header, String field) {
    return column(header, n -> text(n, field));
  }

  static String text(JsonNode n, String field) {
    JsonNode v = n;
    for (String part : field.split("\\.")) {
      v = v.path(part);
    }
    return v.isMissingNode() || v.isNull() ? "" : v.isValueNode() ? v.asString() : v.toString();
  }

  public void print(PrintWriter out, JsonNode rows, boolean json) {
    if (json) {
      out.println(rows.toPrettyString());
      return;
    }
    List<String[]> lines = new ArrayList<>();
    lines.add(headers.toArray(String[]::new));
    for (JsonNode row : rows) {
      String[] line = new String[cells.size()];
      for (int i = 0; i < line.length; i++) {
        line[i] = cells.get(i).apply(row);
      }
      lines.add(line);
    }
    int[] width = new int[headers.size()];
    for (String[] line : lines) {
      for (int i = 0; i < line.length; i++) {
        width[i] = Math.max(width[i], line[i].length());
      }
    }
    for (String[] line : lines) {
      StringBuilder b = new StringBuilder();
      for (int i = 0; i < line.length; i++) {
        b.append(i == line.length - 1 ? line[i] : String.format("%-" + width[i] + "s  ", line[i]));
      }
      out.println(b.toString().stripTrailing());
    }
  }
}

package org.certkit.experiments;

import java.util.ArrayList;
import java.util.List;

/**
 * The rows of an experiment's {@code result.csv}: named columns and rows of numbers or strings.
 * A {@code NaN} marks a value that does not apply to that row (written as an empty cell).
 *
 * @param columns column names, non-empty and distinct
 * @param rows rows of {@link Number} or {@link String} values, one per column
 */
public record ResultTable(List<String> columns, List<List<Object>> rows) {

  /** Checks the shape and the value types; copies both lists. */
  public ResultTable {
    columns = List.copyOf(columns);
    if (columns.isEmpty() || columns.stream().distinct().count() != columns.size()) {
      throw new IllegalArgumentException("columns must be non-empty and distinct: " + columns);
    }
    List<List<Object>> copies = new ArrayList<>(rows.size());
    for (int r = 0; r < rows.size(); r++) {
      List<Object> row = List.copyOf(rows.get(r));
      if (row.size() != columns.size()) {
        throw new IllegalArgumentException("row " + r + " has " + row.size() + " values for "
            + columns.size() + " columns " + columns);
      }
      for (Object value : row) {
        if (!(value instanceof Number) && !(value instanceof String)) {
          throw new IllegalArgumentException("row " + r + " holds " + value
              + "; values must be numbers or strings");
        }
      }
      copies.add(row);
    }
    rows = List.copyOf(copies);
  }
}

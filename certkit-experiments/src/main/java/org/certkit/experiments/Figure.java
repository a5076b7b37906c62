package org.certkit.experiments;

import java.util.List;

/**
 * The content of an experiment's {@code plot.png}: panels drawn left to right, like the left
 * and right halves of the paper's figures, wrapping into rows of {@code columns} panels.
 *
 * @param panels at least one panel
 * @param columns panels per row, at least 1
 */
public record Figure(List<Panel> panels, int columns) {

  /** All panels in one row. */
  public Figure(List<Panel> panels) {
    this(panels, Math.max(1, panels.size()));
  }

  /** Checks that there is at least one panel and a positive row length; copies the list. */
  public Figure {
    panels = List.copyOf(panels);
    if (panels.isEmpty() || columns < 1) {
      throw new IllegalArgumentException("a figure needs at least one panel and one column");
    }
  }

  /** Panels in the widest row. */
  public int width() {
    return Math.min(columns, panels.size());
  }

  /** Rows of panels. */
  public int rows() {
    return (panels.size() + columns - 1) / columns;
  }
}

package org.certkit.experiments;

import java.util.List;

/**
 * The content of an experiment's {@code plot.png}: panels drawn side by side, left to right,
 * like the left and right halves of the paper's figures.
 *
 * @param panels at least one panel
 */
public record Figure(List<Panel> panels) {

  /** Checks that there is at least one panel; copies the list. */
  public Figure {
    panels = List.copyOf(panels);
    if (panels.isEmpty()) {
      throw new IllegalArgumentException("a figure needs at least one panel");
    }
  }
}

package org.certkit.experiments;

import java.util.List;

/**
 * One line chart of a {@link Figure}: title, axis labels, linear or logarithmic axes, its series
 * and optional text labels at points.
 *
 * @param title chart title
 * @param xLabel abscissa label
 * @param yLabel ordinate label
 * @param logX logarithmic abscissa (every x must then be positive)
 * @param logY logarithmic ordinate (every y must then be positive)
 * @param series the curves, at least one, distinct names
 * @param labels texts drawn next to points, possibly none
 */
public record Panel(String title, String xLabel, String yLabel, boolean logX, boolean logY,
    List<Series> series, List<PointLabel> labels) {

  /** A panel without point labels. */
  public Panel(String title, String xLabel, String yLabel, boolean logX, boolean logY,
      List<Series> series) {
    this(title, xLabel, yLabel, logX, logY, series, List.of());
  }

  /** Checks that there is something to draw and that log axes get positive values. */
  public Panel {
    series = List.copyOf(series);
    labels = List.copyOf(labels);
    if (series.isEmpty()
        || series.stream().map(Series::name).distinct().count() != series.size()) {
      throw new IllegalArgumentException("panel '" + title
          + "' needs at least one series and distinct names");
    }
    for (Series s : series) {
      for (int i = 0; i < s.x().length; i++) {
        if ((logX && s.x()[i] <= 0) || (logY && s.y()[i] <= 0)) {
          throw new IllegalArgumentException("panel '" + title + "', series '" + s.name()
              + "': point (" + s.x()[i] + ", " + s.y()[i] + ") on a logarithmic axis");
        }
      }
    }
  }
}

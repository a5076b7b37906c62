package org.certkit.experiments;

/**
 * One curve of a {@link Panel}: points in drawing order and a style.
 *
 * @param name the legend entry, distinct within its panel
 * @param x abscissae
 * @param y ordinates, as many as abscissae
 * @param style estimate, closed form or bound
 */
public record Series(String name, double[] x, double[] y, SeriesStyle style) {

  /** Checks that the coordinates pair up and are finite; copies them. */
  public Series {
    if (x.length != y.length || x.length == 0) {
      throw new IllegalArgumentException("series '" + name + "' has " + x.length
          + " abscissae and " + y.length + " ordinates; need the same non-zero number");
    }
    x = x.clone();
    y = y.clone();
    for (int i = 0; i < x.length; i++) {
      if (!Double.isFinite(x[i]) || !Double.isFinite(y[i])) {
        throw new IllegalArgumentException("series '" + name + "' point " + i + " is ("
            + x[i] + ", " + y[i] + ")");
      }
    }
  }
}

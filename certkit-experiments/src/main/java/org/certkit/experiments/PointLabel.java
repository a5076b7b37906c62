package org.certkit.experiments;

/**
 * A short text drawn just above and to the right of a point of a {@link Panel}, such as the
 * training epsilon of a model in a scatter plot.
 *
 * @param x abscissa of the point, in the panel's units
 * @param y ordinate of the point
 * @param text the label, short
 */
public record PointLabel(double x, double y, String text) {

  /** Checks that the point is finite and the text present. */
  public PointLabel {
    if (!Double.isFinite(x) || !Double.isFinite(y) || text == null || text.isEmpty()) {
      throw new IllegalArgumentException("label '" + text + "' at (" + x + ", " + y + ")");
    }
  }
}

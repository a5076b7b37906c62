package org.certkit.experiments;

/** How a {@link Series} is drawn, by what it is. */
public enum SeriesStyle {
  /** A Monte-Carlo or measured estimate: markers joined by a thin line. */
  ESTIMATE,
  /** A closed form or prediction: a solid line without markers. */
  CLOSED_FORM,
  /** A bound or a limit: a dashed line without markers. */
  BOUND,
  /** A cloud of many sampled points: small dots, no line. */
  SCATTER,
  /**
   * Bars from the bottom of the panel (0 on a linear axis, below the smallest value on a
   * logarithmic one) to each y, centred on x; the bar series of a panel stand side by side
   * within each x (a grouped bar chart or overlaid histograms).
   */
  BARS
}

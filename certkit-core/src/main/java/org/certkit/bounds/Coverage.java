package org.certkit.bounds;

/**
 * How well bounds {@code [L_M, U_M]} cover the true output interval {@code [L_true, U_true]}, and
 * how much narrower they are than interval bounds (section 4 of Alsubaihi et al., "Expected Tight
 * Bounds for Robust Deep Neural Network Training").
 *
 * <ul>
 *   <li>{@link #gamma}: {@code Gamma = |[L_M, U_M] ∩ [L_true, U_true]| / |[L_true, U_true]|}
 *       per output (Figure 1). {@code Gamma = 1} iff the bounds contain the true interval; it
 *       falls to 0 when they miss it entirely. For a degenerate true interval (a point) it is 1
 *       when the bounds contain the point and 0 otherwise.
 *   <li>{@link #widthRatio}: {@code W_IBP / W_M} per output (Figures 2 and 3), and
 *       {@link #widthDifference}: {@code W_IBP - W_M}.
 * </ul>
 *
 * <p>In the paper the true interval comes from sampling ({@link SampledBounds}), which can only
 * underestimate it, so a sampled {@code Gamma} is at least the exact one.
 */
public final class Coverage {

  private Coverage() {}

  /**
   * {@code Gamma} of one output.
   *
   * @param lowerBound {@code L_M}
   * @param upperBound {@code U_M}, at least {@code L_M}
   * @param lowerTrue {@code L_true}
   * @param upperTrue {@code U_true}, at least {@code L_true}
   * @return a value in [0, 1]
   */
  public static double gamma(double lowerBound, double upperBound, double lowerTrue,
      double upperTrue) {
    if (!(lowerBound <= upperBound) || !(lowerTrue <= upperTrue)) {
      throw new IllegalArgumentException("need ordered intervals, got [" + lowerBound + ", "
          + upperBound + "] and [" + lowerTrue + ", " + upperTrue + "]");
    }
    double trueWidth = upperTrue - lowerTrue;
    if (trueWidth == 0) {
      return lowerBound <= lowerTrue && lowerTrue <= upperBound ? 1 : 0;
    }
    double overlap = Math.min(upperBound, upperTrue) - Math.max(lowerBound, lowerTrue);
    return Math.max(0, overlap) / trueWidth;
  }

  /** {@code Gamma} of every output of {@code bounds} against {@code truth}. */
  public static double[] gamma(Intervals bounds, Intervals truth) {
    requireSameSize(bounds, truth);
    double[] g = new double[bounds.size()];
    for (int j = 0; j < g.length; j++) {
      g[j] = gamma(bounds.lower(j), bounds.upper(j), truth.lower(j), truth.upper(j));
    }
    return g;
  }

  /**
   * {@code W_IBP / W_M} of every output: how many times narrower the expected bounds are than
   * the interval ones ({@code +Infinity} where {@code W_M = 0 < W_IBP}).
   */
  public static double[] widthRatio(Intervals ibp, Intervals expected) {
    requireSameSize(ibp, expected);
    double[] wi = ibp.widths();
    double[] wm = expected.widths();
    double[] ratio = new double[wi.length];
    for (int j = 0; j < ratio.length; j++) {
      ratio[j] = wi[j] / wm[j];
    }
    return ratio;
  }

  /** {@code W_IBP - W_M} of every output. */
  public static double[] widthDifference(Intervals ibp, Intervals expected) {
    requireSameSize(ibp, expected);
    double[] wi = ibp.widths();
    double[] wm = expected.widths();
    double[] difference = new double[wi.length];
    for (int j = 0; j < difference.length; j++) {
      difference[j] = wi[j] - wm[j];
    }
    return difference;
  }

  private static void requireSameSize(Intervals a, Intervals b) {
    if (a.size() != b.size()) {
      throw new IllegalArgumentException("interval counts differ: " + a.size() + " and "
          + b.size());
    }
  }
}

package org.certkit.train;

/**
 * What an {@link EpochEvaluation} measured on held-out examples after an epoch.
 *
 * @param accuracy clean accuracy, or NaN when not measured
 * @param certifiedAccuracy sound IBP-certified accuracy at the target epsilon, or NaN
 * @param tightness mean local propagation tightness (Definition 3.6 of Mao et al.), or NaN
 */
public record HeldOutMetrics(double accuracy, double certifiedAccuracy, double tightness) {

  /** Nothing measured: every value NaN. */
  public static final HeldOutMetrics NONE = new HeldOutMetrics(Double.NaN, Double.NaN,
      Double.NaN);
}

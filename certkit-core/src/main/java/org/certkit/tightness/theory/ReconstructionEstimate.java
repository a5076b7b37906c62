package org.certkit.tightness.theory;

/**
 * Monte-Carlo estimates of the reconstruction radius ratios of Theorem 3.10 for one dimension
 * {@code d} and bottleneck width {@code k}.
 *
 * @param dimension the data dimension {@code d}
 * @param bottleneckWidth the bottleneck width {@code k}
 * @param layerwiseRatio {@code E(delta_i / eps)} for {@code delta = |U_k| |U_k^T| eps}; compare
 *     {@link BoxReconstruction#expectedLayerwiseRatio(int, int)}
 * @param optimalRatio {@code E(delta*_i / eps)} for {@code delta* = |U_k U_k^T| eps}; compare
 *     {@link BoxReconstruction#optimalRatioLimit(int)}
 */
public record ReconstructionEstimate(int dimension, int bottleneckWidth,
    MonteCarloEstimate layerwiseRatio, MonteCarloEstimate optimalRatio) {

  /** The estimate of {@code c = E(delta_i / eps) / k} of Theorem 3.10 (i). */
  public MonteCarloEstimate c() {
    return layerwiseRatio.times(1.0 / bottleneckWidth);
  }
}

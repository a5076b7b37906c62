package org.certkit.tightness.theory;

/**
 * The optimal and layer-wise box radii of a deep linear network for one input box, and the
 * global propagation tightness derived from them (Definition 3.5 of Mao et al.).
 *
 * <p>Two aggregates over output dimensions are offered. {@link #ratioOfMeans()} is the one the
 * paper's theory uses (section 3.3, "expected tightness" {@code E(optimal) / E(layer-wise)}):
 * averaged over networks as well, it is what Lemma 3.7 and Corollary 3.8 describe.
 * {@link #meanOfRatios()} averages the per-dimension tightness {@code tau_i}, the usual summary
 * of measured networks; the two agree when all dimensions have the same tightness.
 *
 * @param optimalRadius {@code |W_L ... W_1| eps} per output dimension
 * @param layerwiseRadius {@code |W_L| ... |W_1| eps} per output dimension, same length
 */
public record GlobalTightness(double[] optimalRadius, double[] layerwiseRadius) {

  /** Checks that both radii describe the same output dimensions. */
  public GlobalTightness {
    if (optimalRadius.length != layerwiseRadius.length || optimalRadius.length == 0) {
      throw new IllegalArgumentException("radii of lengths " + optimalRadius.length + " and "
          + layerwiseRadius.length + " do not describe the same non-empty output");
    }
  }

  /**
   * {@code tau_i = optimal_i / layer-wise_i} per output dimension, in [0, 1]; a dimension whose
   * layer-wise radius is 0 has an optimal radius of 0 too (identical boxes) and counts as 1.
   */
  public double[] perDimension() {
    double[] tau = new double[optimalRadius.length];
    for (int i = 0; i < tau.length; i++) {
      tau[i] = layerwiseRadius[i] == 0 ? 1 : optimalRadius[i] / layerwiseRadius[i];
    }
    return tau;
  }

  /** Mean optimal radius over mean layer-wise radius (the paper's expected tightness). */
  public double ratioOfMeans() {
    double optimal = 0;
    double layerwise = 0;
    for (int i = 0; i < optimalRadius.length; i++) {
      optimal += optimalRadius[i];
      layerwise += layerwiseRadius[i];
    }
    return layerwise == 0 ? 1 : optimal / layerwise;
  }

  /** Mean over output dimensions of {@link #perDimension()}. */
  public double meanOfRatios() {
    double sum = 0;
    for (double tau : perDimension()) {
      sum += tau;
    }
    return sum / optimalRadius.length;
  }
}

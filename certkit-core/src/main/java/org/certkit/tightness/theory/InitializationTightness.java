package org.certkit.tightness.theory;

/**
 * Closed forms for the expected propagation tightness of deep linear networks (DLNs) with i.i.d.
 * zero-mean Gaussian weights, that is at initialisation (Mao et al., "Understanding Certified
 * Training with Interval Bound Propagation", section 3.3 and appendix B). Expected tightness is
 * the ratio of the expected optimal box radius to the expected layer-wise (IBP) box radius, the
 * same for every output dimension by symmetry and independent of the weight variances.
 */
public final class InitializationTightness {

  private InitializationTightness() {}

  /**
   * {@code tau(d1) = sqrt(pi) Gamma((d1 + 1) / 2) / (d1 Gamma(d1 / 2))}, the expected tightness
   * of a two-layer DLN with internal width {@code d1} (Lemma 3.7); {@code tau(1) = 1},
   * {@code tau(500) ~ 0.056}, and {@code tau(d1) ~ sqrt(pi / (2 d1))} for large widths.
   *
   * @param width the internal width {@code d1 >= 1}
   */
  public static double tau(int width) {
    requirePositive(width, "width");
    return Math.sqrt(Math.PI) * GammaFunction.ratio(0.5 * (width + 1), 0.5 * width) / width;
  }

  /**
   * {@code g(n) = n Gamma(n / 2) / (sqrt(pi) Gamma((n + 1) / 2)) = 1 / tau(n)}, the expected
   * slackness (layer-wise over optimal radius) of a two-layer DLN of internal width {@code n}
   * (Lemma B.2 and Figure 7): increasing in {@code n}, {@code g(2) = 4 / pi > 1.27}, and
   * {@code g(n) ~ sqrt(2 n / pi)}.
   *
   * @param n the internal width, at least 1
   */
  public static double g(int n) {
    return 1 / tau(n);
  }

  /**
   * The upper bound {@code tau(dMin)^floor(L / 2)} of Corollary 3.8 on the expected tightness of
   * an {@code L}-layer DLN whose smallest internal width is {@code dMin}.
   *
   * @param minimumWidth the smallest internal width {@code dMin >= 1}
   * @param depth the number of linear layers {@code L >= 1}
   */
  public static double depthBound(int minimumWidth, int depth) {
    requirePositive(depth, "depth");
    return Math.pow(tau(minimumWidth), depth / 2);
  }

  /**
   * The exact expected tightness {@code prod_l tau(d_l)} of an {@code L}-layer Gaussian DLN with
   * internal widths {@code d_1, ..., d_{L-1}} (1 for a single layer). This extends the proof of
   * Lemma 3.7 to any depth; the paper states only the bound of Corollary 3.8, which it implies.
   * Derivation: given {@code W_L ... W_2}, an entry of {@code W_L ... W_1} is a centred Gaussian
   * whose variance is the squared norm of a row of {@code W_L ... W_2}; by rotational invariance
   * that squared norm is a product of independent {@code chi^2(d_l)} variables, so
   * {@code E|(W_L ... W_1)_ij| = sqrt(2 / pi) prod_l E chi(d_l)} while the layer-wise entry has
   * mean {@code (2 / pi)^(L / 2) prod_l d_l}; with {@code E chi(d) = sqrt(2) Gamma((d + 1) / 2) /
   * Gamma(d / 2)} the ratio is {@code prod_l tau(d_l)}.
   *
   * @param internalWidths the widths {@code d_1, ..., d_{L-1}}, each at least 1
   */
  public static double expectedTightness(int... internalWidths) {
    double product = 1;
    for (int width : internalWidths) {
      product *= tau(width);
    }
    return product;
  }

  private static void requirePositive(int value, String name) {
    if (value < 1) {
      throw new IllegalArgumentException(name + " must be at least 1, got " + value);
    }
  }
}

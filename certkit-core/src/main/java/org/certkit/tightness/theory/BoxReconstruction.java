package org.certkit.tightness.theory;

/**
 * Closed forms of Theorem 3.10 of Mao et al. (box reconstruction error): a {@code d}-dimensional
 * input box of radius {@code eps} is embedded into {@code k} dimensions and reconstructed by
 * {@code U_k U_k^T}, with {@code U} uniform on the orthogonal group. Layer-wise (IBP)
 * propagation gives the radius {@code delta = |U_k| |U_k^T| eps}, optimal propagation
 * {@code delta* = |U_k U_k^T| eps}; both are ratios to {@code eps} here, per output coordinate.
 */
public final class BoxReconstruction {

  /** {@code 2 / pi}, the limit of {@link #c(int)} for large {@code d} (Theorem 3.10 (i)). */
  public static final double C_LIMIT = 2 / Math.PI;

  private BoxReconstruction() {}

  /**
   * The constant {@code c(d) = E(v_1 ||v||_1)} of Theorem 3.10 (i), with {@code v} the absolute
   * value of a uniform unit vector of {@code R^d}, in closed form:
   * {@code c(d) = 1 / d + 2 (d - 1) / (pi d)}. The paper gives only the limit {@code 2 / pi};
   * the exact value follows from its expansion {@code c = 1 / d + (d - 1) E(v_1 v_2)} and
   * {@code E|u_1 u_2| = E|g_1| E|g_2| / E||g||^2 = 2 / (pi d)} for a standard Gaussian
   * {@code g = ||g|| u} whose norm is independent of its direction {@code u}.
   *
   * @param d the data dimension, at least 1
   */
  public static double c(int d) {
    if (d < 1) {
      throw new IllegalArgumentException("dimension d must be at least 1, got " + d);
    }
    return 1.0 / d + 2.0 * (d - 1) / (Math.PI * d);
  }

  /**
   * {@code E(delta_i / eps) = c(d) k}, the expected layer-wise (IBP) reconstruction radius ratio
   * of Theorem 3.10 (i); exact for every {@code 1 <= k <= d}, since every column of {@code U_k}
   * is a uniform unit vector.
   */
  public static double expectedLayerwiseRatio(int d, int k) {
    if (k < 1 || k > d) {
      throw new IllegalArgumentException("need 1 <= k <= d, got k = " + k + ", d = " + d);
    }
    return c(d) * k;
  }

  /**
   * {@code (2 / sqrt(pi)) Gamma((k + 1) / 2) / Gamma(k / 2)}, the large-{@code d} limit of the
   * expected optimal reconstruction radius ratio {@code E(delta*_i / eps)} of Theorem 3.10 (ii),
   * in {@code Theta(sqrt(k))}. For finite {@code d} it is accurate when {@code k << d}.
   *
   * @param k the bottleneck width, at least 1
   */
  public static double optimalRatioLimit(int k) {
    if (k < 1) {
      throw new IllegalArgumentException("bottleneck width k must be at least 1, got " + k);
    }
    return 2 / Math.sqrt(Math.PI) * GammaFunction.ratio(0.5 * (k + 1), 0.5 * k);
  }
}

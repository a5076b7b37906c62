package org.certkit.tightness.theory;

/**
 * The logarithm of Euler's gamma function by the Lanczos approximation ({@code g = 7}, nine
 * coefficients; relative error near {@code 1e-15} for positive arguments), and ratios of gamma
 * values, which every closed form of Mao et al. (Lemma 3.7, Lemma B.2, Theorem 3.10) contains.
 * Ratios go through logarithms so that arguments in the thousands do not overflow.
 */
public final class GammaFunction {

  private static final double G = 7;

  private static final double[] LANCZOS = {
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
    -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
    1.5056327351493116e-7
  };

  private static final double HALF_LOG_TWO_PI = 0.5 * Math.log(2 * Math.PI);

  private GammaFunction() {}

  /**
   * {@code ln Gamma(x)} for {@code x > 0}; below 1/2 through the reflection formula
   * {@code Gamma(x) Gamma(1 - x) = pi / sin(pi x)}.
   *
   * @throws IllegalArgumentException if {@code x} is not a positive finite number
   */
  public static double logGamma(double x) {
    if (!(x > 0) || Double.isInfinite(x)) {
      throw new IllegalArgumentException("logGamma needs a positive finite argument, got " + x);
    }
    if (x < 0.5) {
      return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
    }
    double z = x - 1;
    double series = LANCZOS[0];
    for (int i = 1; i < LANCZOS.length; i++) {
      series += LANCZOS[i] / (z + i);
    }
    double t = z + G + 0.5;
    return HALF_LOG_TWO_PI + (z + 0.5) * Math.log(t) - t + Math.log(series);
  }

  /** {@code Gamma(a) / Gamma(b)} for positive {@code a} and {@code b}, through logarithms. */
  public static double ratio(double a, double b) {
    return Math.exp(logGamma(a) - logGamma(b));
  }
}

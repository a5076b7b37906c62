package org.certkit.experiments;

import java.util.Arrays;

/**
 * Moments of a set of weights and their distance from the Gaussian with the same mean and
 * standard deviation: how well the i.i.d. Gaussian assumption of Theorem 1 of Alsubaihi et al.
 * describes a trained layer (their appendix F).
 *
 * @param count number of weights
 * @param mean arithmetic mean
 * @param std population standard deviation {@code sqrt(m2)}
 * @param skewness {@code m3 / m2^1.5} (0 for a Gaussian)
 * @param excessKurtosis {@code m4 / m2^2 - 3} (0 for a Gaussian, -1.2 uniform, 3 Laplace)
 * @param ksDistance Kolmogorov-Smirnov distance {@code sup |F_n(w) - Phi((w - mean) / std)|}
 *     between the empirical distribution and the fitted Gaussian
 */
record WeightStatistics(int count, double mean, double std, double skewness,
    double excessKurtosis, double ksDistance) {

  /** The statistics of {@code weights} (at least two, not all equal). */
  static WeightStatistics of(double[] weights) {
    int n = weights.length;
    if (n < 2) {
      throw new IllegalArgumentException("need at least two weights, got " + n);
    }
    double mean = Arrays.stream(weights).average().orElseThrow();
    double m2 = 0;
    double m3 = 0;
    double m4 = 0;
    for (double w : weights) {
      double d = w - mean;
      double d2 = d * d;
      m2 += d2;
      m3 += d2 * d;
      m4 += d2 * d2;
    }
    m2 /= n;
    m3 /= n;
    m4 /= n;
    if (!(m2 > 0)) {
      throw new IllegalArgumentException("all " + n + " weights are equal");
    }
    double std = Math.sqrt(m2);
    double[] sorted = weights.clone();
    Arrays.sort(sorted);
    double ks = 0;
    for (int i = 0; i < n; i++) {
      double phi = normalCdf((sorted[i] - mean) / std);
      ks = Math.max(ks, Math.max((i + 1.0) / n - phi, phi - (double) i / n));
    }
    return new WeightStatistics(n, mean, std, m3 / (m2 * std), m4 / (m2 * m2) - 3, ks);
  }

  /** The density of the fitted Gaussian at {@code w}. */
  double fittedDensity(double w) {
    double z = (w - mean) / std;
    return Math.exp(-0.5 * z * z) / (std * Math.sqrt(2 * Math.PI));
  }

  /**
   * The standard normal distribution function, from the complementary error function of
   * Numerical Recipes (Chebyshev fit, relative error below 1.2e-7).
   */
  static double normalCdf(double z) {
    double x = Math.abs(z) / Math.sqrt(2);
    double t = 1 / (1 + 0.5 * x);
    double erfc = t * Math.exp(-x * x - 1.26551223 + t * (1.00002368 + t * (0.37409196
        + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398
        + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
    return z >= 0 ? 1 - erfc / 2 : erfc / 2;
  }
}

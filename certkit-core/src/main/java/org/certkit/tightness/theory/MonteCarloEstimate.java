package org.certkit.tightness.theory;

/**
 * A Monte-Carlo estimate: the value and its standard error over independent samples.
 *
 * @param value the estimate
 * @param standardError the estimated standard deviation of {@code value} (sample standard
 *     deviation over {@code sqrt(samples)}; delta method for ratios)
 * @param samples the number of independent samples, at least 2
 */
public record MonteCarloEstimate(double value, double standardError, int samples) {

  /** Checks the sample count and that the error is a non-negative number. */
  public MonteCarloEstimate {
    if (samples < 2 || !(standardError >= 0)) {
      throw new IllegalArgumentException("need at least 2 samples and a non-negative standard"
          + " error, got " + samples + " and " + standardError);
    }
  }

  /** The sample mean of {@code values} (one per independent sample). */
  public static MonteCarloEstimate mean(double[] values) {
    int n = values.length;
    requireSamples(n);
    double mean = 0;
    for (double v : values) {
      mean += v;
    }
    mean /= n;
    double squares = 0;
    for (double v : values) {
      squares += (v - mean) * (v - mean);
    }
    return new MonteCarloEstimate(mean, Math.sqrt(squares / (n - 1) / n), n);
  }

  /**
   * {@code sum(numerators) / sum(denominators)}, the estimate of {@code E(X) / E(Y)} from
   * independent pairs {@code (X_s, Y_s)}, with the delta-method standard error
   * {@code sqrt(sum (X_s - R Y_s)^2 / (n (n - 1))) / mean(Y)}.
   */
  public static MonteCarloEstimate ratioOfMeans(double[] numerators, double[] denominators) {
    int n = numerators.length;
    requireSamples(n);
    if (denominators.length != n) {
      throw new IllegalArgumentException(n + " numerators but " + denominators.length
          + " denominators");
    }
    double x = 0;
    double y = 0;
    for (int s = 0; s < n; s++) {
      x += numerators[s];
      y += denominators[s];
    }
    double ratio = x / y;
    double squares = 0;
    for (int s = 0; s < n; s++) {
      double residual = numerators[s] - ratio * denominators[s];
      squares += residual * residual;
    }
    return new MonteCarloEstimate(ratio, Math.sqrt(squares / ((double) n * (n - 1))) / (y / n),
        n);
  }

  /** This estimate multiplied by a positive constant. */
  public MonteCarloEstimate times(double factor) {
    if (!(factor > 0)) {
      throw new IllegalArgumentException("factor must be positive, got " + factor);
    }
    return new MonteCarloEstimate(value * factor, standardError * factor, samples);
  }

  /** {@code (value - reference) / reference}. */
  public double relativeError(double reference) {
    return (value - reference) / reference;
  }

  private static void requireSamples(int n) {
    if (n < 2) {
      throw new IllegalArgumentException("a Monte-Carlo estimate needs at least 2 samples, got "
          + n);
    }
  }
}

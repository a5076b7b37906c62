package org.certkit.experiments;

import java.util.Arrays;

/**
 * Mean, standard error, median, minimum and maximum of the values measured at one sweep point
 * (over random networks).
 *
 * @param count number of values
 * @param mean arithmetic mean
 * @param standardError {@code sd / sqrt(count)}, 0 for one value
 * @param median the middle value (mean of the two middle ones for an even count)
 * @param min smallest value
 * @param max largest value
 */
record ValueSummary(int count, double mean, double standardError, double median, double min,
    double max) {

  /** Summarises {@code values}; all NaN when there are none. */
  static ValueSummary of(double[] values) {
    if (values.length == 0) {
      return new ValueSummary(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
    }
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    int n = sorted.length;
    double mean = Arrays.stream(sorted).average().orElseThrow();
    double squares = 0;
    for (double v : sorted) {
      squares += (v - mean) * (v - mean);
    }
    double stderr = n > 1 ? Math.sqrt(squares / (n - 1) / n) : 0;
    double median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    return new ValueSummary(n, mean, stderr, median, sorted[0], sorted[n - 1]);
  }

  /** The sample standard deviation {@code sqrt(sum (v - mean)^2 / (count - 1))}, 0 for one value. */
  double standardDeviation() {
    return standardError * Math.sqrt(count);
  }

  /** The finite entries of {@code values}, in order. */
  static double[] finite(double[] values) {
    return Arrays.stream(values).filter(Double::isFinite).toArray();
  }

  /** The fraction of {@code values} at least {@code threshold}. */
  static double fractionAtLeast(double[] values, double threshold) {
    return (double) Arrays.stream(values).filter(v -> v >= threshold).count() / values.length;
  }
}

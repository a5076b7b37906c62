package org.certkit.eval;

import java.util.Arrays;

/**
 * Counts of values in equal-width bins: bin {@code i} holds the values in
 * {@code [edges[i], edges[i + 1])}, the last bin also its right edge.
 *
 * @param edges the bin edges, ascending, one more than the bins
 * @param counts the number of values per bin
 */
public record Histogram(double[] edges, int[] counts) {

  /** Checks that there is one more edge than bins. */
  public Histogram {
    if (edges.length != counts.length + 1) {
      throw new IllegalArgumentException(edges.length + " edges for " + counts.length
          + " bins");
    }
    edges = edges.clone();
    counts = counts.clone();
  }

  /**
   * The histogram of the finite {@code values} in {@code bins} bins between their minimum and
   * maximum (one bin of width 1 around the value when they are all equal), or null when none is
   * finite.
   */
  public static Histogram of(double[] values, int bins) {
    double[] finite = Arrays.stream(values).filter(Double::isFinite).toArray();
    if (finite.length == 0) {
      return null;
    }
    double lo = Arrays.stream(finite).min().orElseThrow();
    double hi = Arrays.stream(finite).max().orElseThrow();
    if (hi == lo) {
      lo -= 0.5;
      hi += 0.5;
    }
    double[] edges = new double[bins + 1];
    for (int i = 0; i <= bins; i++) {
      edges[i] = i == bins ? hi : lo + (hi - lo) * i / bins;
    }
    int[] counts = new int[bins];
    for (double v : finite) {
      counts[Math.min(bins - 1, (int) ((v - lo) / (hi - lo) * bins))]++;
    }
    return new Histogram(edges, counts);
  }

  /** The bin edges (a copy). */
  @Override
  public double[] edges() {
    return edges.clone();
  }

  /** The counts per bin (a copy). */
  @Override
  public int[] counts() {
    return counts.clone();
  }

  /** The number of values counted. */
  public int total() {
    return Arrays.stream(counts).sum();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Histogram h && Arrays.equals(edges, h.edges)
        && Arrays.equals(counts, h.counts);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(edges) + Arrays.hashCode(counts);
  }

  @Override
  public String toString() {
    return "Histogram" + Arrays.toString(edges) + Arrays.toString(counts);
  }
}

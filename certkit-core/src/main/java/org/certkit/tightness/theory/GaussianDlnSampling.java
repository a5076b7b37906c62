package org.certkit.tightness.theory;

import java.util.Arrays;
import java.util.List;

/**
 * How {@link InitializationTightnessEstimator} samples deep linear networks at initialisation:
 * layer widths, number of independent networks and the seed.
 *
 * @param dimensions {@code d_0, d_1, ..., d_L}: input, internal and output widths, at least two
 *     entries, each at least 1
 * @param samples independent networks, at least 2
 * @param seed seed of the weights; the same record gives the same estimate
 */
public record GaussianDlnSampling(List<Integer> dimensions, int samples, long seed) {

  /** Validates the widths and the sample count; copies the widths. */
  public GaussianDlnSampling {
    dimensions = List.copyOf(dimensions);
    if (dimensions.size() < 2 || dimensions.stream().anyMatch(d -> d < 1)) {
      throw new IllegalArgumentException("dimensions need at least two entries, each >= 1, got "
          + dimensions);
    }
    if (samples < 2) {
      throw new IllegalArgumentException("samples must be at least 2, got " + samples);
    }
  }

  /** A two-layer network {@code d_0 -> d_1 -> d_2}, the setting of Lemma 3.7. */
  public static GaussianDlnSampling twoLayer(int inputDimension, int width, int outputDimension,
      int samples, long seed) {
    return new GaussianDlnSampling(List.of(inputDimension, width, outputDimension), samples,
        seed);
  }

  /** An {@code L}-layer network with every internal width equal to {@code width}. */
  public static GaussianDlnSampling ofDepth(int inputDimension, int width, int depth,
      int outputDimension, int samples, long seed) {
    if (depth < 1) {
      throw new IllegalArgumentException("depth must be at least 1, got " + depth);
    }
    Integer[] dims = new Integer[depth + 1];
    Arrays.fill(dims, width);
    dims[0] = inputDimension;
    dims[depth] = outputDimension;
    return new GaussianDlnSampling(List.of(dims), samples, seed);
  }

  /** The internal widths {@code d_1, ..., d_{L-1}} (empty for one layer). */
  public int[] internalWidths() {
    return dimensions.subList(1, dimensions.size() - 1).stream().mapToInt(Integer::intValue)
        .toArray();
  }
}

package org.certkit.tightness.theory;

import java.util.List;

/**
 * How {@link BoxReconstructionEstimator} samples the box reconstruction experiment of Theorem
 * 3.10: data dimension, bottleneck widths, number of random eigenmatrices, how many output
 * coordinates enter the optimal radius, and the seed.
 *
 * @param dimension the data dimension {@code d >= 1}
 * @param bottleneckWidths the widths {@code k} to estimate, strictly increasing, in
 *     {@code [1, d]}; every sample uses the first {@code k} columns of one Haar matrix for all
 *     of them
 * @param samples independent Haar matrices, at least 2
 * @param observedCoordinates {@code m} in {@code [1, d]}: the optimal radius is computed for the
 *     first {@code m} output coordinates only, which costs {@code m d k} instead of
 *     {@code d^2 k} and is unbiased because all coordinates are exchangeable; the layer-wise
 *     radius (cheap) always uses all {@code d}
 * @param seed seed of the Gaussian matrices; the same record gives the same estimates
 */
public record ReconstructionSampling(int dimension, List<Integer> bottleneckWidths, int samples,
    int observedCoordinates, long seed) {

  /** Validates every field; copies the widths. */
  public ReconstructionSampling {
    bottleneckWidths = List.copyOf(bottleneckWidths);
    if (dimension < 1 || bottleneckWidths.isEmpty()) {
      throw new IllegalArgumentException("need d >= 1 and at least one bottleneck width, got d = "
          + dimension + ", widths " + bottleneckWidths);
    }
    for (int i = 0; i < bottleneckWidths.size(); i++) {
      int k = bottleneckWidths.get(i);
      if (k < 1 || k > dimension || (i > 0 && k <= bottleneckWidths.get(i - 1))) {
        throw new IllegalArgumentException("bottleneck widths must increase strictly within [1, "
            + dimension + "], got " + bottleneckWidths);
      }
    }
    if (samples < 2) {
      throw new IllegalArgumentException("samples must be at least 2, got " + samples);
    }
    if (observedCoordinates < 1 || observedCoordinates > dimension) {
      throw new IllegalArgumentException("observed coordinates must be in [1, " + dimension
          + "], got " + observedCoordinates);
    }
  }
}

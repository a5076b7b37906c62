package org.certkit.net;

import java.util.Arrays;

/**
 * Per-channel input normalisation {@code (x - mean[c]) / std[c]} as the first layer of a network,
 * so that perturbations, attacks and certificates stay in [0, 1] pixel space.
 *
 * @param mean one value per input channel
 * @param std one positive value per input channel
 */
public record Normalize(float[] mean, float[] std) implements Layer {

  /** Validates lengths and positivity and copies the arrays. */
  public Normalize {
    if (mean.length != std.length || mean.length == 0) {
      throw new IllegalArgumentException(
          "Normalize needs one mean and one std per channel, got " + mean.length + " and "
              + std.length);
    }
    for (float s : std) {
      if (!(s > 0)) {
        throw new IllegalArgumentException("Normalize std must be positive, got " + s);
      }
    }
    mean = mean.clone();
    std = std.clone();
  }

  @Override
  public float[] mean() {
    return mean.clone();
  }

  @Override
  public float[] std() {
    return std.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Normalize n && Arrays.equals(mean, n.mean) && Arrays.equals(std, n.std);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(mean) + Arrays.hashCode(std);
  }

  @Override
  public String toString() {
    return describe();
  }

  @Override
  public String describe() {
    return "Normalize(mean=" + Arrays.toString(mean) + ", std=" + Arrays.toString(std) + ")";
  }
}

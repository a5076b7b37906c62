package org.certkit.train;

import java.util.Arrays;

/**
 * A step-wise learning rate: {@code initial * factor^k} after the k-th decay epoch (PyTorch's
 * {@code MultiStepLR}), constant within an epoch.
 *
 * @param initial learning rate at epoch 0
 * @param decayEpochs 0-indexed epochs at whose start the rate is multiplied by {@code factor}
 * @param factor multiplier per decay, in (0, 1]
 */
public record LearningRateSchedule(double initial, int[] decayEpochs, double factor) {

  /** Validates and copies. */
  public LearningRateSchedule {
    if (!(initial > 0)) {
      throw new IllegalArgumentException("learning rate must be positive, got " + initial);
    }
    if (!(factor > 0 && factor <= 1)) {
      throw new IllegalArgumentException("decay factor must be in (0, 1], got " + factor);
    }
    decayEpochs = decayEpochs.clone();
    Arrays.sort(decayEpochs);
  }

  @Override
  public int[] decayEpochs() {
    return decayEpochs.clone();
  }

  /** The learning rate during {@code epoch}. */
  public double at(int epoch) {
    double lr = initial;
    for (int d : decayEpochs) {
      if (epoch >= d) {
        lr *= factor;
      }
    }
    return lr;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof LearningRateSchedule s && s.initial == initial && s.factor == factor
        && Arrays.equals(s.decayEpochs, decayEpochs);
  }

  @Override
  public int hashCode() {
    return Double.hashCode(initial) * 31 + Arrays.hashCode(decayEpochs);
  }

  @Override
  public String toString() {
    return "LearningRateSchedule[initial=" + initial + ", decayEpochs="
        + Arrays.toString(decayEpochs) + ", factor=" + factor + "]";
  }
}

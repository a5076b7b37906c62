package org.certkit.train;

/**
 * The smoothed epsilon ramp of Gowal et al. as used by Shi et al. (2021) and the first paper's
 * recipes: 0 until the ramp starts, then {@code alpha t^4} over the first quarter of the ramp,
 * then linear up to the target, then constant. The exponent and the switch point are the
 * reference values (4 and 0.25); {@code alpha} makes the slope continuous at the switch.
 *
 * <p>Updated every batch. Epochs are 0-indexed: a ramp starting at epoch 0 rises from the first
 * batch.
 *
 * @param target the final epsilon, in [0, 1] pixel space
 * @param rampStartEpoch first epoch of the ramp
 * @param rampEpochs length of the ramp in epochs; 0 means the target from the start
 */
public record EpsilonSchedule(double target, int rampStartEpoch, int rampEpochs) {

  private static final double EXPONENT = 4;
  private static final double SWITCH = 0.25;

  /** Validates the arguments. */
  public EpsilonSchedule {
    if (!(target >= 0)) {
      throw new IllegalArgumentException("target epsilon must be >= 0, got " + target);
    }
    if (rampStartEpoch < 0 || rampEpochs < 0) {
      throw new IllegalArgumentException("ramp start and length must be >= 0");
    }
  }

  /**
   * Epsilon at a point of training.
   *
   * @param epoch 0-indexed epoch
   * @param batch 0-indexed batch within the epoch
   * @param batchesPerEpoch number of batches per epoch
   */
  public double at(int epoch, int batch, int batchesPerEpoch) {
    if (rampEpochs == 0) {
      return epoch >= rampStartEpoch ? target : 0;
    }
    double start = (double) rampStartEpoch * batchesPerEpoch;
    double end = (double) (rampStartEpoch + rampEpochs) * batchesPerEpoch;
    double step = (double) epoch * batchesPerEpoch + batch;
    if (step <= start) {
      return 0;
    }
    if (step >= end) {
      return target;
    }
    double mid = start + SWITCH * (end - start);
    double midLength = mid - start;
    // alpha * midLength^4 + slope * (end - mid) = target with slope = 4 alpha midLength^3.
    double alpha = target
        / (Math.pow(midLength, EXPONENT) + EXPONENT * Math.pow(midLength, EXPONENT - 1) * (end - mid));
    if (step <= mid) {
      return alpha * Math.pow(step - start, EXPONENT);
    }
    double midValue = alpha * Math.pow(midLength, EXPONENT);
    return midValue + (target - midValue) * (step - mid) / (end - mid);
  }

  /** Whether the ramp is over at the start of {@code epoch}. */
  public boolean reachedTarget(int epoch) {
    return epoch >= rampStartEpoch + rampEpochs;
  }
}

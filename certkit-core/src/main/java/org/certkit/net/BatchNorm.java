package org.certkit.net;

import ai.djl.ndarray.NDArray;

/**
 * Batch normalisation over the channel axis (axis 1) of {@code [N, C]} or {@code [N, C, H, W]}
 * inputs: {@code y = gamma (x - mean) / sqrt(var + epsilon) + beta}.
 *
 * <p>In training the mean and (biased) variance come from the current batch, and the running
 * statistics are updated with {@code running = (1 - momentum) running + momentum batch} (unbiased
 * variance, as PyTorch does). In evaluation the running statistics are used, which makes the layer
 * an affine map. Which one applies is decided by {@link org.certkit.net.BatchStatistics}, not by
 * the layer.
 *
 * @param gamma scale {@code [C]}, trained
 * @param beta shift {@code [C]}, trained
 * @param runningMean {@code [C]}, updated in training, not trained
 * @param runningVar {@code [C]}, updated in training, not trained
 * @param epsilon added to the variance, 1e-5 by default
 * @param momentum weight of the new batch in the running statistics, 0.1 by default
 */
public record BatchNorm(
    NDArray gamma,
    NDArray beta,
    NDArray runningMean,
    NDArray runningVar,
    float epsilon,
    float momentum)
    implements Layer {

  /** Number of channels. */
  public int channels() {
    return (int) gamma.getShape().get(0);
  }

  @Override
  public String describe() {
    return "BatchNorm(" + channels() + ")";
  }
}

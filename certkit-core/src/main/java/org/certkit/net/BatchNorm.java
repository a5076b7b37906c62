package org.certkit.net;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.certkit.internal.LayerOps;

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

  /**
   * The layer as the affine map {@code h * scale + shift} of the given statistics, with
   * {@code scale = gamma / sqrt(var + epsilon)} and {@code shift = beta - mean * scale}: the one
   * place this arithmetic is written.
   *
   * @param scale per channel, shaped to broadcast against the input it was made for
   * @param shift same shape as {@code scale}
   */
  public record Affine(NDArray scale, NDArray shift) {

    /** {@code h * scale + shift}. */
    public NDArray apply(NDArray h) {
      return h.mul(scale).addi(shift);
    }
  }

  /**
   * The affine map of this layer under {@code statistics}, in the type of {@code like} and
   * broadcastable against it, owned by {@code like}'s manager.
   */
  public Affine affine(BatchStatistics.MeanVar statistics, NDArray like) {
    NDManager m = like.getManager();
    // Operands that may be long-lived (parameters, running statistics) come first only where the
    // result is moved to the batch's manager at once.
    NDArray variance = LayerOps.cast(statistics.variance(), like, m);
    // A square root and a division, each correctly rounded (IEEE 754), whatever pow would do.
    NDArray std = LayerOps.owned(variance.add(epsilon), m).sqrt();
    NDArray scale = LayerOps.owned(LayerOps.cast(gamma, like, m).div(std), m);
    NDArray meanTimesScale = scale.mul(LayerOps.cast(statistics.mean(), like, m));
    NDArray shift = LayerOps.owned(LayerOps.cast(beta, like, m).sub(meanTimesScale), m);
    return new Affine(BatchStatistics.reshapeForChannels(scale, like.getShape()),
        BatchStatistics.reshapeForChannels(shift, like.getShape()));
  }

  /** Number of channels. */
  public int channels() {
    return (int) gamma.getShape().get(0);
  }

  @Override
  public String describe() {
    return "BatchNorm(" + channels() + ")";
  }
}

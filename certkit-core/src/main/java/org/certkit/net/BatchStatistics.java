package org.certkit.net;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.HashMap;
import java.util.Map;
import org.certkit.internal.Constants;

/**
 * Which mean and variance each {@link BatchNorm} layer uses during one pass or one training step.
 *
 * <p>In {@linkplain #evaluation() evaluation} every BatchNorm uses its running statistics and is an
 * affine map. In {@linkplain #training() training} the first concrete pass over a clean batch
 * fixes the batch mean and variance of each BatchNorm (not detached, so gradients flow through
 * them, as in the reference implementations) and updates the running statistics once; every later
 * pass in the same step (attacks, interval bounds) uses the same statistics. With
 * {@link #trainingFused()} that first pass runs through the engine's fused kernel
 * ({@link #normalise}), and the statistics as arrays of their own are computed from its input
 * only when a later pass asks for them. Create a new training instance for each step.
 */
public final class BatchStatistics {

  /** Mean and biased variance of one BatchNorm input, both {@code [C]}. */
  public record MeanVar(NDArray mean, NDArray variance) {}

  private final boolean training;
  private final boolean updateRunning;
  private final boolean fused;
  private final Map<Integer, MeanVar> recorded = new HashMap<>();
  /** Inputs of the first passes that the fused kernel normalised, for statistics on demand. */
  private final Map<Integer, NDArray> firstInputs = new HashMap<>();

  private BatchStatistics(boolean training, boolean updateRunning, boolean fused) {
    this.training = training;
    this.updateRunning = updateRunning;
    this.fused = fused;
  }

  /** Running statistics everywhere: the network is an affine-ReLU map. */
  public static BatchStatistics evaluation() {
    return new BatchStatistics(false, false, false);
  }

  /** Batch statistics recorded from the first clean pass of a training step. */
  public static BatchStatistics training() {
    return new BatchStatistics(true, true, false);
  }

  /**
   * As {@link #training()}, with the first pass through the engine's fused batch normalisation:
   * for steps whose only pass is that one (standard training), where it saves the operations of
   * the statistics. A step that also bounds the batch pays for the statistics twice, once inside
   * the kernel and once as arrays, and is faster with {@link #training()}.
   */
  public static BatchStatistics trainingFused() {
    return new BatchStatistics(true, true, true);
  }

  /**
   * Batch statistics as in {@link #training()}, but the running statistics are left alone: for
   * auxiliary passes (such as an attack before the training pass) that must not count twice.
   */
  public static BatchStatistics trainingWithoutRunningUpdate() {
    return new BatchStatistics(true, false, false);
  }

  /** Whether batch statistics are in use. */
  public boolean isTraining() {
    return training;
  }

  /**
   * BatchNorm layer {@code index} applied to a concrete input in training. With
   * {@link #trainingFused()}, the step's first pass over the layer, in float32, is one call of
   * the engine's fused batch normalisation, which also updates the running statistics; any other
   * pass applies the affine map of {@link #forConcreteInput}. Both compute
   * {@code gamma (x - mean) / sqrt(var + epsilon) + beta} with the batch's mean and biased
   * variance, and differentiate through them.
   *
   * @throws IllegalStateException in evaluation, where the layer is an affine map
   */
  public NDArray normalise(int index, BatchNorm layer, NDArray input) {
    if (!training) {
      throw new IllegalStateException("normalise applies batch statistics, in training only");
    }
    boolean first = !recorded.containsKey(index) && !firstInputs.containsKey(index);
    if (first && fused && input.getDataType() == DataType.FLOAT32) {
      firstInputs.put(index, input);
      // PyTorch's running update, running = (1 - m) running + m batch, is the one of this
      // class; DJL hands the engine 1 - momentum, so it is given 1 - m.
      return ai.djl.nn.norm.BatchNorm.batchNorm(input, layer.runningMean(), layer.runningVar(),
          layer.gamma(), layer.beta(), 1, 1 - layer.momentum(), layer.epsilon(), true)
          .singletonOrThrow();
    }
    return layer.affine(forConcreteInput(index, layer, input), input).apply(input);
  }

  /**
   * The statistics BatchNorm layer {@code index} uses for this concrete input. In training the
   * first call for a layer computes them from {@code input}, records them and updates the running
   * statistics; later calls return the recorded ones.
   *
   * @param index position of the layer in the network
   * @param layer the BatchNorm layer
   * @param input the layer's concrete input {@code [N, C]} or {@code [N, C, H, W]}; not modified
   */
  public MeanVar forConcreteInput(int index, BatchNorm layer, NDArray input) {
    if (!training) {
      return new MeanVar(layer.runningMean(), layer.runningVar());
    }
    MeanVar existing = recorded(index);
    if (existing != null) {
      return existing;
    }
    MeanVar stats = record(index, input);
    if (updateRunning) {
      updateRunning(layer, stats, input.getShape().size() / input.getShape().get(1));
    }
    return stats;
  }

  /** The statistics of {@code input}, recorded for layer {@code index}. */
  private MeanVar record(int index, NDArray input) {
    NDArray mean = channelMean(input);
    NDArray centred = input.sub(reshapeForChannels(mean, input.getShape()));
    MeanVar stats = new MeanVar(mean, channelMean(centred.square()));
    recorded.put(index, stats);
    return stats;
  }

  /**
   * The recorded statistics of layer {@code index}, computed now from the input of its fused
   * first pass when that pass left them implicit; null when no pass has fixed them.
   */
  private MeanVar recorded(int index) {
    MeanVar existing = recorded.get(index);
    if (existing != null) {
      return existing;
    }
    NDArray first = firstInputs.remove(index);
    return first == null ? null : record(index, first);
  }

  /**
   * The statistics BatchNorm layer {@code index} uses when no concrete input is at hand (interval
   * and other abstract passes).
   *
   * @throws IllegalStateException in training when no clean pass has recorded them yet
   */
  public MeanVar recordedOrRunning(int index, BatchNorm layer) {
    if (!training) {
      return new MeanVar(layer.runningMean(), layer.runningVar());
    }
    MeanVar existing = recorded(index);
    if (existing == null) {
      throw new IllegalStateException(
          "BatchNorm layer " + index + " has no batch statistics yet: in training, run the"
              + " concrete forward pass over the clean batch before bounding it");
    }
    return existing;
  }

  /**
   * Mean over every axis but the channel axis 1: one sum over those axes, then a product (the
   * engine's mean takes a single axis, and one mean per axis costs an operation and a backward
   * node each).
   */
  private static NDArray channelMean(NDArray input) {
    Shape shape = input.getShape();
    int[] axes = new int[shape.dimension() - 1];
    axes[0] = 0;
    for (int axis = 2; axis < shape.dimension(); axis++) {
      axes[axis - 1] = axis;
    }
    double count = (double) shape.size() / shape.get(1);
    return input.sum(axes).muli(Constants.scalar(input, 1 / count));
  }

  /** Reshapes a per-channel vector {@code [C]} so that it broadcasts against {@code shape}. */
  public static NDArray reshapeForChannels(NDArray perChannel, Shape shape) {
    return shape.dimension() == 4
        ? perChannel.reshape(1, perChannel.size(), 1, 1)
        : perChannel.reshape(1, perChannel.size());
  }

  private static void updateRunning(BatchNorm layer, MeanVar stats, long count) {
    NDArray mean = stats.mean();
    NDArray variance = stats.variance();
    float m = layer.momentum();
    float unbias = count > 1 ? (float) count / (count - 1) : 1f;
    // In place on the long-lived running arrays; the detached products live in the step's manager.
    NDArray keep = Constants.scalar(mean, 1 - m);
    layer.runningMean().muli(keep).addi(mean.stopGradient().mul(Constants.scalar(mean, m)));
    layer.runningVar().muli(keep)
        .addi(variance.stopGradient().mul(Constants.scalar(variance, m * unbias)));
  }
}

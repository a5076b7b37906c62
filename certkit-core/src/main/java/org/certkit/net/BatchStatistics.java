package org.certkit.net;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import java.util.HashMap;
import java.util.Map;
import org.certkit.internal.Constants;

/**
 * Which mean and variance each {@link BatchNorm} layer uses during one pass or one training step.
 *
 * <p>In {@linkplain #evaluation() evaluation} every BatchNorm uses its running statistics and is an
 * affine map. In {@linkplain #training() training} the first concrete pass over a clean batch
 * records the batch mean and variance of each BatchNorm (not detached, so gradients flow through
 * them, as in the reference implementations) and updates the running statistics once; every later
 * pass in the same step (attacks, interval bounds) reuses the recorded statistics. Create a new
 * training instance for each step.
 */
public final class BatchStatistics {

  /** Mean and biased variance of one BatchNorm input, both {@code [C]}. */
  public record MeanVar(NDArray mean, NDArray variance) {}

  private final boolean training;
  private final boolean updateRunning;
  private final Map<Integer, MeanVar> recorded = new HashMap<>();

  private BatchStatistics(boolean training, boolean updateRunning) {
    this.training = training;
    this.updateRunning = updateRunning;
  }

  /** Running statistics everywhere: the network is an affine-ReLU map. */
  public static BatchStatistics evaluation() {
    return new BatchStatistics(false, false);
  }

  /** Batch statistics recorded from the first clean pass of a training step. */
  public static BatchStatistics training() {
    return new BatchStatistics(true, true);
  }

  /**
   * Batch statistics as in {@link #training()}, but the running statistics are left alone: for
   * auxiliary passes (such as an attack before the training pass) that must not count twice.
   */
  public static BatchStatistics trainingWithoutRunningUpdate() {
    return new BatchStatistics(true, false);
  }

  /** Whether batch statistics are in use. */
  public boolean isTraining() {
    return training;
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
    MeanVar existing = recorded.get(index);
    if (existing != null) {
      return existing;
    }
    NDArray mean = channelMean(input);
    NDArray centred = input.sub(reshapeForChannels(mean, input.getShape()));
    NDArray variance = channelMean(centred.square());
    long count = input.getShape().size() / input.getShape().get(1);
    if (updateRunning) {
      updateRunning(layer, mean, variance, count);
    }
    MeanVar stats = new MeanVar(mean, variance);
    recorded.put(index, stats);
    return stats;
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
    MeanVar existing = recorded.get(index);
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

  private static void updateRunning(BatchNorm layer, NDArray mean, NDArray variance, long count) {
    float m = layer.momentum();
    float unbias = count > 1 ? (float) count / (count - 1) : 1f;
    // In place on the long-lived running arrays; the detached products live in the step's manager.
    NDArray keep = Constants.scalar(mean, 1 - m);
    layer.runningMean().muli(keep).addi(mean.stopGradient().mul(Constants.scalar(mean, m)));
    layer.runningVar().muli(keep)
        .addi(variance.stopGradient().mul(Constants.scalar(variance, m * unbias)));
  }
}

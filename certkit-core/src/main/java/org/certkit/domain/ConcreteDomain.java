package org.certkit.domain;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Activation;
import java.util.List;
import org.certkit.internal.LayerOps;
import org.certkit.net.Add;
import org.certkit.net.AvgPool;
import org.certkit.net.BatchNorm;
import org.certkit.net.BatchStatistics;
import org.certkit.net.Conv2d;
import org.certkit.net.Flatten;
import org.certkit.net.Layer;
import org.certkit.net.Linear;
import org.certkit.net.MaxPool;
import org.certkit.net.Network;
import org.certkit.net.Normalize;
import org.certkit.net.Relu;
import org.certkit.net.Sigmoid;
import org.certkit.net.Tanh;

/**
 * The concrete domain: the ordinary forward pass of a network on a batch of points.
 *
 * <p>Differentiable when gradients are being collected. Results belong to the manager of the input.
 */
public final class ConcreteDomain {

  private ConcreteDomain() {}

  /**
   * Logits of a batch.
   *
   * @param x inputs {@code [N, C, H, W]} in [0, 1] pixel space, float32 or float64
   * @param stats which BatchNorm statistics to use (and, in training, where to record them)
   * @return {@code [N, classes]}
   */
  public static NDArray forward(Network network, NDArray x, BatchStatistics stats) {
    return network.evaluate(x, (i, layer, inputs) -> apply(layer, i, inputs, stats));
  }

  /**
   * Runs a chain of {@code layers} on {@code x}; {@code firstIndex} is the network index of the
   * first layer, used to key BatchNorm statistics.
   */
  public static NDArray forward(
      List<Layer> layers, int firstIndex, NDArray x, BatchStatistics stats) {
    NDArray h = x;
    for (int i = 0; i < layers.size(); i++) {
      h = apply(layers.get(i), firstIndex + i, List.of(h), stats);
    }
    return h;
  }

  /** One layer with one input on a concrete batch. */
  public static NDArray apply(Layer layer, int index, NDArray h, BatchStatistics stats) {
    return apply(layer, index, List.of(h), stats);
  }

  /**
   * One node on a concrete batch.
   *
   * @param inputs the values of the nodes it reads: two for {@link Add}, else one
   */
  public static NDArray apply(Layer layer, int index, List<NDArray> inputs,
      BatchStatistics stats) {
    NDArray h = inputs.getFirst();
    return switch (layer) {
      case Linear l -> LayerOps.linear(h, l.weight(), l.bias());
      case Conv2d c -> LayerOps.conv2d(h, c.weight(), c.bias(), c.stride(), c.padding());
      case Relu r -> Activation.relu(h);
      case Flatten f -> h.reshape(h.getShape().get(0), -1);
      case Normalize n -> h.sub(LayerOps.perChannel(n.mean(), h))
          .divi(LayerOps.perChannel(n.std(), h));
      case BatchNorm b -> stats.isTraining() ? stats.normalise(index, b, h)
          : batchNormFused(b, h);
      case Add a -> h.add(second(inputs, index));
      case AvgPool p -> LayerOps.avgPool(h, p);
      case MaxPool p -> LayerOps.maxPool(h, p);
      case Sigmoid sg -> Activation.sigmoid(h);
      case Tanh t -> Activation.tanh(h);
    };
  }

  /** The second input of an {@link Add} node. */
  static <T> T second(List<T> inputs, int index) {
    if (inputs.size() != 2) {
      throw new IllegalArgumentException("Add (node " + index + ") needs two inputs, got "
          + inputs.size());
    }
    return inputs.get(1);
  }

  /** BatchNorm with running statistics through the engine's fused kernel (one pass). */
  static NDArray batchNormFused(BatchNorm b, NDArray h) {
    NDManager m = h.getManager();
    return ai.djl.nn.norm.BatchNorm.batchNorm(h, LayerOps.cast(b.runningMean(), h, m),
        LayerOps.cast(b.runningVar(), h, m), LayerOps.cast(b.gamma(), h, m),
        LayerOps.cast(b.beta(), h, m), 1, b.momentum(), b.epsilon(), false).singletonOrThrow();
  }
}

package org.certkit.io.onnx;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.certkit.data.DatasetName;
import org.certkit.net.Architectures;
import org.certkit.net.BatchNorm;
import org.certkit.net.Initialization;
import org.certkit.net.InputFormat;
import org.certkit.net.Layer;
import org.certkit.net.Network;

/** Networks of several architectures, with non-trivial BatchNorm statistics, for export tests. */
final class ExportCases {

  private ExportCases() {}

  /** One network to export: an architecture for a data set's input format. */
  record Case(String name, Architectures.Spec spec, InputFormat format) {
    @Override
    public String toString() {
      return name;
    }
  }

  /**
   * fc, cnn3, cnn3-bn, dm-small, cnn5-bn (BatchNorm after a dense layer) and cnn4, on MNIST or
   * CIFAR.
   */
  static List<Case> cases() {
    InputFormat mnist = DatasetName.MNIST.inputFormat();
    InputFormat cifar = DatasetName.CIFAR10.inputFormat();
    return List.of(
        new Case("fc-mnist", new Architectures.Spec("fc", 1, new int[] {64, 32}), mnist),
        new Case("cnn3-cifar", Architectures.Spec.of("cnn3"), cifar),
        new Case("cnn3-bn-mnist", Architectures.Spec.of("cnn3-bn"), mnist),
        new Case("dm-small-mnist", Architectures.Spec.of("dm-small"), mnist),
        new Case("cnn5-bn-cifar", new Architectures.Spec("cnn5-bn", 0.25, new int[0]), cifar),
        new Case("cnn4-mnist", Architectures.Spec.of("cnn4"), mnist));
  }

  /** A residual network (two blocks with skip connections, {@code resnet2b}) on MNIST. */
  static Case residual() {
    return new Case("resnet2b-mnist", Architectures.Spec.of("resnet2b"),
        DatasetName.MNIST.inputFormat());
  }

  /**
   * Builds the case's network and gives every BatchNorm random scale, shift and running
   * statistics, epsilon 1e-3 and momentum 0.05 (instead of the defaults 1e-5 and 0.1).
   */
  static Network build(Case c, NDManager manager, long seed) {
    Network net = Architectures.build(c.spec(), c.format(), Initialization.DEFAULT, seed, manager);
    Random random = new Random(seed);
    List<Layer> layers = new ArrayList<>();
    for (Layer layer : net.layers()) {
      if (layer instanceof BatchNorm b) {
        int n = b.channels();
        b.gamma().set(uniform(random, n, -2, 2));
        b.beta().set(uniform(random, n, -1, 1));
        b.runningMean().set(uniform(random, n, -0.5, 0.5));
        b.runningVar().set(uniform(random, n, 0.3, 3));
        layers.add(new BatchNorm(b.gamma(), b.beta(), b.runningMean(), b.runningVar(), 1e-3f,
            0.05f));
      } else {
        layers.add(layer);
      }
    }
    List<int[]> inputs = new ArrayList<>();
    for (int i = 0; i < layers.size(); i++) {
      inputs.add(net.inputs(i));
    }
    return new Network(net.architecture(), net.inputShape(), layers, inputs, net.manager());
  }

  /** Uniform inputs in [0, 1] of the network's input shape with a batch axis of {@code n}. */
  static NDArray inputs(NDManager manager, Network network, int n, DataType type) {
    long[] dims = new long[network.inputShape().dimension() + 1];
    dims[0] = n;
    System.arraycopy(network.inputShape().getShape(), 0, dims, 1, dims.length - 1);
    return manager.randomUniform(0, 1, new Shape(dims), type);
  }

  private static float[] uniform(Random random, int n, double low, double high) {
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      out[i] = (float) (low + (high - low) * random.nextDouble());
    }
    return out;
  }
}

package org.certkit.net;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * The named architectures of the literature, built for a given {@link InputFormat}.
 *
 * <p>Every network starts with a {@link Normalize} layer so that perturbations stay in [0, 1]
 * pixel space. Sizes follow the reference codebases:
 *
 * <ul>
 *   <li>{@code fc}: Flatten, then Linear+ReLU for each hidden width, then Linear to the classes.
 *   <li>{@code cnn3}: Conv(16,5,s2,p2)-ReLU-Conv(32,4,s2,p1)-ReLU-Linear; {@code cnn3-bn} adds
 *       BatchNorm after each convolution. The width multiplier scales 16 and 32.
 *   <li>{@code cnn4}: Conv(32,5,s2,p2)-ReLU-Conv(128,4,s2,p1)-ReLU-Linear(250)-ReLU-Linear, the
 *       4-layer CNN of COLT (its {@code convmed_flat_2_4_250}) in the first paper's Table 2. The
 *       width multiplier scales 32 and 128.
 *   <li>{@code convsmall}: Conv(16,4,s2,p1)-ReLU-Conv(32,4,s2,p1)-ReLU-Linear(100)-ReLU-Linear,
 *       two stride-2 convolutions and two dense layers in the manner of ERAN's ConvSmall (padded
 *       here, so that 28x28 inputs give 7x7 maps): the convolutional net of certkit's
 *       verification benchmark. The width multiplier scales 16 and 32.
 *   <li>{@code cnn2-bn}: Conv(16,3,1,1)-BatchNorm-ReLU-Linear, the shallowest net of the first
 *       paper's depth study.
 *   <li>{@code cnn5}, {@code cnn5-bn}: Conv(16,3,1,1)-Conv(16,4,2,1)-Conv(32,4,2,1)-Linear(512)-
 *       Linear, each hidden layer followed by ReLU (and BatchNorm for {@code -bn}).
 *   <li>{@code cnn7}: Conv(w,3,1,1)-Conv(w,3,1,1)-Conv(2w,3,2,1)-Conv(2w,3,1,1)-Conv(2w,3,1,1),
 *       each with BatchNorm and ReLU, then Linear(512)+BatchNorm+ReLU and Linear; {@code w = 64}
 *       times the width multiplier (0.5x to 16x in the first paper's Table 1).
 *   <li>{@code cnn9}, {@code cnn11}, {@code cnn13}: {@code cnn7} with 2, 4 or 6 more
 *       Conv(2w,3,1,1)+BatchNorm+ReLU blocks after the fifth convolution (the depth study).
 *   <li>{@code dm-small}, {@code dm-medium}, {@code dm-large}: the small, medium and large models
 *       of Gowal et al. as used in the second paper's Table 5 (unpadded convolutions for small and
 *       medium; padding 1 and a 200-unit dense layer for large).
 *   <li>{@code resnet2b}: Conv(w,3,2,1)-ReLU, two residual blocks
 *       {@code x -> ReLU(x + Conv(w,3,1,1)(ReLU(Conv(w,3,1,1)(x))))}, then Linear(100)-ReLU and
 *       Linear; {@code w = 8} times the width multiplier. A graph network: each block's input
 *       also feeds its {@link Add}, as in the residual benchmarks of VNN-COMP.
 * </ul>
 */
public final class Architectures {

  /** Names accepted by {@link #build}. */
  public static final List<String> NAMES =
      List.of("fc", "cnn2-bn", "cnn3", "cnn3-bn", "cnn4", "convsmall", "cnn5", "cnn5-bn", "cnn7",
          "cnn9", "cnn11", "cnn13", "dm-small", "dm-medium", "dm-large", "resnet2b");

  private Architectures() {}

  /**
   * Options of a named architecture.
   *
   * @param name one of {@link #NAMES}
   * @param widthMultiplier scales the convolution channels of the convolutional networks
   * @param hiddenWidths hidden layer widths of {@code fc}
   */
  public record Spec(String name, double widthMultiplier, int[] hiddenWidths) {

    /** Validates the name and options. */
    public Spec {
      name = name.toLowerCase(Locale.ROOT);
      if (!NAMES.contains(name)) {
        throw new IllegalArgumentException(
            "unknown architecture '" + name + "'; known: " + String.join(", ", NAMES));
      }
      if (!(widthMultiplier > 0)) {
        throw new IllegalArgumentException("width multiplier must be positive, got "
            + widthMultiplier);
      }
      hiddenWidths = hiddenWidths.clone();
      for (int w : hiddenWidths) {
        if (w < 1) {
          throw new IllegalArgumentException("hidden widths must be positive, got " + w);
        }
      }
    }

    /** A spec with width multiplier 1 and the default hidden widths (256, 256 for fc). */
    public static Spec of(String name) {
      return new Spec(name, 1.0, new int[] {256, 256});
    }

    @Override
    public int[] hiddenWidths() {
      return hiddenWidths.clone();
    }
  }

  /**
   * Builds a freshly initialised network; its arrays live in a new sub-manager of {@code parent}.
   *
   * @param seed seeds the Java random generator used for the weights, so builds are repeatable
   */
  public static Network build(
      Spec spec, InputFormat format, Initialization init, long seed, NDManager parent) {
    NDManager manager = parent.newSubManager();
    try {
      Builder b = new Builder(format, init, new Random(seed), manager);
      switch (spec.name()) {
        case "fc" -> {
          b.flatten();
          for (int w : spec.hiddenWidths()) {
            b.linear(w, false).relu();
          }
        }
        case "cnn3", "cnn3-bn" -> {
          boolean bn = spec.name().endsWith("-bn");
          int w = scaled(16, spec.widthMultiplier());
          b.conv(w, 5, 2, 2).bnIf(bn).relu().conv(2 * w, 4, 2, 1).bnIf(bn).relu().flatten();
        }
        case "cnn4" -> {
          int w = scaled(32, spec.widthMultiplier());
          b.conv(w, 5, 2, 2).relu().conv(4 * w, 4, 2, 1).relu().flatten().linear(250, false)
              .relu();
        }
        case "convsmall" -> {
          int w = scaled(16, spec.widthMultiplier());
          b.conv(w, 4, 2, 1).relu().conv(2 * w, 4, 2, 1).relu().flatten().linear(100, false)
              .relu();
        }
        case "cnn2-bn" -> b.conv(scaled(16, spec.widthMultiplier()), 3, 1, 1).bn().relu()
            .flatten();
        case "cnn5", "cnn5-bn" -> {
          boolean bn = spec.name().endsWith("-bn");
          int w = scaled(16, spec.widthMultiplier());
          b.conv(w, 3, 1, 1).bnIf(bn).relu().conv(w, 4, 2, 1).bnIf(bn).relu()
              .conv(2 * w, 4, 2, 1).bnIf(bn).relu().flatten().linear(512, false).bnIf(bn).relu();
        }
        case "cnn7", "cnn9", "cnn11", "cnn13" -> {
          int w = scaled(64, spec.widthMultiplier());
          b.conv(w, 3, 1, 1).bn().relu().conv(w, 3, 1, 1).bn().relu()
              .conv(2 * w, 3, 2, 1).bn().relu().conv(2 * w, 3, 1, 1).bn().relu()
              .conv(2 * w, 3, 1, 1).bn().relu();
          int extra = Integer.parseInt(spec.name().substring(3)) - 7;
          for (int i = 0; i < extra; i++) {
            b.conv(2 * w, 3, 1, 1).bn().relu();
          }
          b.flatten().linear(512, false).bn().relu();
        }
        case "dm-small" -> b.conv(16, 4, 2, 0).relu().conv(32, 4, 1, 0).relu().flatten()
            .linear(100, false).relu();
        case "dm-medium" -> b.conv(32, 3, 1, 0).relu().conv(32, 4, 2, 0).relu()
            .conv(64, 3, 1, 0).relu().conv(64, 4, 2, 0).relu().flatten()
            .linear(512, false).relu().linear(512, false).relu();
        case "dm-large" -> b.conv(64, 3, 1, 1).relu().conv(64, 3, 1, 1).relu()
            .conv(128, 3, 2, 1).relu().conv(128, 3, 1, 1).relu().conv(128, 3, 1, 1).relu()
            .flatten().linear(200, false).relu();
        case "resnet2b" -> {
          int w = scaled(8, spec.widthMultiplier());
          b.conv(w, 3, 2, 1).relu().residualBlock().residualBlock().flatten()
              .linear(100, false).relu();
        }
        default -> throw new IllegalStateException("unhandled architecture " + spec.name());
      }
      b.linear(format.numClasses(), true);
      return new Network(spec.name(), format.shape(), b.layers, b.inputs, manager);
    } catch (RuntimeException e) {
      manager.close();
      throw e;
    }
  }

  private static int scaled(int base, double multiplier) {
    return Math.max(1, (int) Math.round(base * multiplier));
  }

  /** Appends nodes, each reading the last one unless said otherwise, tracking the shape. */
  private static final class Builder {
    private final List<Layer> layers = new ArrayList<>();
    private final List<int[]> inputs = new ArrayList<>();
    private final Initialization init;
    private final Random random;
    private final NDManager manager;
    private int channels;
    private int height;
    private int width;
    private boolean flat;

    Builder(InputFormat format, Initialization init, Random random, NDManager manager) {
      this.init = init;
      this.random = random;
      this.manager = manager;
      this.channels = format.channels();
      this.height = format.height();
      this.width = format.width();
      add(new Normalize(format.mean(), format.std()));
    }

    /** Appends {@code layer} reading the last node (the network's input for the first). */
    private void add(Layer layer) {
      inputs.add(new int[] {layers.size() - 1});
      layers.add(layer);
    }

    /** {@code x -> ReLU(x + Conv(ReLU(Conv(x))))} with 3x3 convolutions keeping the shape. */
    Builder residualBlock() {
      int skip = layers.size() - 1;
      conv(channels, 3, 1, 1).relu().conv(channels, 3, 1, 1);
      inputs.add(new int[] {skip, layers.size() - 1});
      layers.add(new Add());
      return relu();
    }

    Builder conv(int out, int kernel, int stride, int padding) {
      int fanIn = channels * kernel * kernel;
      NDArray weight = weights(new Shape(out, channels, kernel, kernel), fanIn, false);
      NDArray bias = uniform(new Shape(out), fanIn);
      Conv2d conv = new Conv2d(weight, bias, stride, padding);
      height = conv.outputSize(height);
      width = conv.outputSize(width);
      if (height < 1 || width < 1) {
        throw new IllegalArgumentException("input too small for " + conv.describe());
      }
      channels = out;
      add(conv);
      return this;
    }

    Builder linear(int out, boolean last) {
      int in = flat ? channels : channels * height * width;
      NDArray weight = weights(new Shape(out, in), in, last);
      add(new Linear(weight, uniform(new Shape(out), in)));
      channels = out;
      flat = true;
      return this;
    }

    Builder bn() {
      add(new BatchNorm(manager.ones(new Shape(channels)), manager.zeros(new Shape(channels)),
          manager.zeros(new Shape(channels)), manager.ones(new Shape(channels)), 1e-5f, 0.1f));
      return this;
    }

    Builder bnIf(boolean condition) {
      return condition ? bn() : this;
    }

    Builder relu() {
      add(new Relu());
      return this;
    }

    Builder flatten() {
      add(new Flatten());
      channels = channels * height * width;
      height = 1;
      width = 1;
      flat = true;
      return this;
    }

    private NDArray weights(Shape shape, int fanIn, boolean last) {
      if (init == Initialization.IBP && !last) {
        double std = Math.sqrt(2 * Math.PI) / fanIn;
        float[] values = new float[(int) shape.size()];
        for (int i = 0; i < values.length; i++) {
          values[i] = (float) (random.nextGaussian() * std);
        }
        return manager.create(values, shape);
      }
      return uniform(shape, fanIn);
    }

    private NDArray uniform(Shape shape, int fanIn) {
      double bound = 1 / Math.sqrt(fanIn);
      float[] values = new float[(int) shape.size()];
      for (int i = 0; i < values.length; i++) {
        values[i] = (float) ((2 * random.nextDouble() - 1) * bound);
      }
      return manager.create(values, shape);
    }
  }
}

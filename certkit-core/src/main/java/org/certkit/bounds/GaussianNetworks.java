package org.certkit.bounds;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.certkit.domain.Box;
import org.certkit.net.Conv2d;
import org.certkit.net.Flatten;
import org.certkit.net.Layer;
import org.certkit.net.Linear;
import org.certkit.net.Network;
import org.certkit.net.Relu;

/**
 * Random networks and inputs drawn as in section 4 and appendix A of Alsubaihi et al. ("Expected
 * Tight Bounds for Robust Deep Neural Network Training"), the setting of its Figures 1-4.
 *
 * <ul>
 *   <li>Weights i.i.d. Gaussian with zero mean and <b>standard deviation</b>
 *       {@code 1/sqrt(fanIn)} (variance {@code 1/fanIn}); {@code fanIn} is the input width of a
 *       Linear layer, {@code inChannels * kernel^2} for a convolution.
 *   <li>Biases uniform in {@code [-1/sqrt(fanIn), 1/sqrt(fanIn)]}, PyTorch's default.
 *   <li>Input centre {@code x ~ N(0, I)}, box {@code [x - eps, x + eps]}, with no normalisation
 *       layer and no clipping to [0, 1]; the networks have no {@link org.certkit.net.Normalize}.
 * </ul>
 *
 * <p><b>Standard deviation or variance?</b> The paper writes {@code N(0, 1/sqrt(n))}, and its
 * notation is not consistent: Proposition 1 writes the variance as the second argument
 * ({@code N(0, sigma^2 I)}), while Assumption 1 and Theorem 2 call {@code sigma} a standard
 * deviation and write {@code N(0, sigma I)}. The appendix settles it: the IBP intervals it lists
 * for random {@code n-100-100-100-100-2} networks (Tables 2-4, widths about 28, 60 and 140 for
 * {@code n = 2} and {@code eps = 0.05, 0.1, 0.25}, about 90 to 180 for {@code n = 20}) are what
 * standard deviation {@code 1/sqrt(fanIn)} gives on average, while variance {@code 1/sqrt(fanIn)}
 * gives intervals about 100 times wider (checked by simulation when this class was written).
 * {@code 1/sqrt(fanIn)} as a standard deviation is also LeCun's scaling, the one that keeps
 * activations of order one through depth, "as in Wong and Kolter (2018)".
 *
 * <p>Parameters are float64 (so bounds and sampling need no casts) and are drawn in Java from a
 * {@link SplittableRandom} with the given seed, independent of the engine's random state.
 */
public final class GaussianNetworks {

  private GaussianNetworks() {}

  /**
   * A fully connected ReLU network {@code widths[0] - widths[1] - ... - widths[last]}: Flatten,
   * then Linear and ReLU for every hidden width, then a Linear output layer. For example
   * {@code [n, k, 1]} is the Affine-ReLU-Affine block {@code g} of section 3.2.
   *
   * @param widths input dimension, hidden widths, output dimension; at least two, all positive
   * @param seed seeds weights and biases
   * @param parent the network's arrays live in a new sub-manager of it, owned by the network
   * @return a network with input shape {@code (widths[0])}
   */
  public static Network fullyConnected(List<Integer> widths, long seed, NDManager parent) {
    if (widths.size() < 2 || widths.stream().anyMatch(w -> w < 1)) {
      throw new IllegalArgumentException("need at least two positive widths, got " + widths);
    }
    NDManager manager = parent.newSubManager();
    try {
      SplittableRandom random = new SplittableRandom(seed);
      List<Layer> layers = new ArrayList<>();
      layers.add(new Flatten());
      for (int i = 1; i < widths.size(); i++) {
        int in = widths.get(i - 1);
        int out = widths.get(i);
        layers.add(new Linear(gaussian(manager, random, new Shape(out, in), in),
            uniform(manager, random, out, in)));
        if (i < widths.size() - 1) {
          layers.add(new Relu());
        }
      }
      return new Network("gaussian-fc" + widths, new Shape(widths.getFirst()), layers, manager);
    } catch (RuntimeException e) {
      manager.close();
      throw e;
    }
  }

  /**
   * A convolutional ReLU network on {@code inputChannels x side x side} inputs: for every entry
   * of {@code channels} a convolution with that many output channels ({@code kernel x kernel},
   * stride 1, padding {@code kernel / 2}, so the side is kept for odd kernels) followed by ReLU,
   * then Flatten and a Linear layer to {@code outputs}.
   *
   * @param channels output channels of the convolutions, in order, at least one
   * @param kernel odd kernel side, at least 1
   */
  public static Network convolutional(int inputChannels, int side, List<Integer> channels,
      int kernel, int outputs, long seed, NDManager parent) {
    if (inputChannels < 1 || side < 1 || channels.isEmpty() || kernel < 1 || kernel % 2 == 0
        || outputs < 1 || channels.stream().anyMatch(c -> c < 1)) {
      throw new IllegalArgumentException("invalid convolutional network: " + inputChannels
          + "x" + side + "x" + side + ", channels " + channels + ", kernel " + kernel + ", "
          + outputs + " outputs");
    }
    NDManager manager = parent.newSubManager();
    try {
      SplittableRandom random = new SplittableRandom(seed);
      List<Layer> layers = new ArrayList<>();
      int in = inputChannels;
      for (int out : channels) {
        int fanIn = in * kernel * kernel;
        layers.add(new Conv2d(gaussian(manager, random, new Shape(out, in, kernel, kernel),
            fanIn), uniform(manager, random, out, fanIn), 1, kernel / 2));
        layers.add(new Relu());
        in = out;
      }
      layers.add(new Flatten());
      int features = in * side * side;
      layers.add(new Linear(gaussian(manager, random, new Shape(outputs, features), features),
          uniform(manager, random, outputs, features)));
      return new Network("gaussian-cnn" + channels, new Shape(inputChannels, side, side),
          layers, manager);
    } catch (RuntimeException e) {
      manager.close();
      throw e;
    }
  }

  /**
   * The box {@code [x - eps, x + eps]} around a centre {@code x ~ N(0, I)} of one example, not
   * clipped.
   *
   * @param shape one input without the batch axis, such as {@code network.inputShape()}
   * @param eps the radius, at least 0
   * @param seed seeds the centre
   * @param manager owns the returned float64 arrays {@code [1, ...shape]}
   */
  public static Box gaussianBox(Shape shape, double eps, long seed, NDManager manager) {
    if (!(eps >= 0)) {
      throw new IllegalArgumentException("eps must be >= 0, got " + eps);
    }
    SplittableRandom random = new SplittableRandom(seed);
    double[] x = new double[(int) shape.size()];
    for (int i = 0; i < x.length; i++) {
      x[i] = random.nextGaussian();
    }
    double[] r = new double[x.length];
    Arrays.fill(r, eps);
    Shape batch = new Shape(1).addAll(shape);
    return new Box(manager.create(x, batch), manager.create(r, batch));
  }

  private static NDArray gaussian(NDManager manager, SplittableRandom random, Shape shape,
      int fanIn) {
    double std = 1 / Math.sqrt(fanIn);
    double[] values = new double[(int) shape.size()];
    for (int i = 0; i < values.length; i++) {
      values[i] = random.nextGaussian() * std;
    }
    return manager.create(values, shape);
  }

  private static NDArray uniform(NDManager manager, SplittableRandom random, int size,
      int fanIn) {
    double bound = 1 / Math.sqrt(fanIn);
    double[] values = new double[size];
    for (int i = 0; i < size; i++) {
      values[i] = (2 * random.nextDouble() - 1) * bound;
    }
    return manager.create(values, new Shape(size));
  }
}

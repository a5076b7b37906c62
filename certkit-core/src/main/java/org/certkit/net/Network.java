package org.certkit.net;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A feed-forward network: an ordered list of {@link Layer}s and the manager that owns their arrays.
 *
 * <p>Lifecycle: an {@link Architectures} factory or a checkpoint creates the network together with
 * a manager of its own; the optimiser updates parameter arrays in place; {@link #close()} frees all
 * of them. Computations on the network (forward passes, bounds) run in the caller's managers and
 * never allocate in the network's manager.
 */
public final class Network implements AutoCloseable {

  /** A named array of the network's state. */
  public record NamedArray(String name, NDArray array) {}

  private final String architecture;
  private final Shape inputShape;
  private final List<Layer> layers;
  private final NDManager manager;

  /**
   * Wraps layers whose arrays belong to {@code manager}; the network takes ownership of it.
   *
   * @param architecture a name for humans and checkpoints, such as {@code cnn3}
   * @param inputShape one input without the batch axis, such as {@code (1, 28, 28)}
   */
  public Network(String architecture, Shape inputShape, List<Layer> layers, NDManager manager) {
    if (layers.isEmpty()) {
      throw new IllegalArgumentException("a network needs at least one layer");
    }
    this.architecture = architecture;
    this.inputShape = inputShape;
    this.layers = List.copyOf(layers);
    this.manager = manager;
  }

  /** The architecture name. */
  public String architecture() {
    return architecture;
  }

  /** Shape of one input, without the batch axis. */
  public Shape inputShape() {
    return inputShape;
  }

  /** The layers, in order. */
  public List<Layer> layers() {
    return layers;
  }

  /** The manager that owns every array of the network. */
  public NDManager manager() {
    return manager;
  }

  /** Number of outputs of the last layer, which must be {@link Linear}. */
  public int numClasses() {
    if (layers.getLast() instanceof Linear last) {
      return last.outFeatures();
    }
    throw new IllegalStateException("the last layer is " + layers.getLast().describe()
        + ", expected Linear");
  }

  /** The trained parameters (weights, biases, BatchNorm scale and shift), in layer order. */
  public List<NamedArray> parameters() {
    List<NamedArray> out = new ArrayList<>();
    for (int i = 0; i < layers.size(); i++) {
      switch (layers.get(i)) {
        case Linear l -> {
          out.add(new NamedArray(i + ".weight", l.weight()));
          out.add(new NamedArray(i + ".bias", l.bias()));
        }
        case Conv2d c -> {
          out.add(new NamedArray(i + ".weight", c.weight()));
          out.add(new NamedArray(i + ".bias", c.bias()));
        }
        case BatchNorm b -> {
          out.add(new NamedArray(i + ".gamma", b.gamma()));
          out.add(new NamedArray(i + ".beta", b.beta()));
        }
        case Relu r -> { }
        case Flatten f -> { }
        case Normalize n -> { }
      }
    }
    return out;
  }

  /** Every array of the network's state: the parameters, then the BatchNorm running statistics. */
  public Map<String, NDArray> state() {
    Map<String, NDArray> out = new LinkedHashMap<>();
    for (NamedArray p : parameters()) {
      out.put(p.name(), p.array());
    }
    for (int i = 0; i < layers.size(); i++) {
      if (layers.get(i) instanceof BatchNorm b) {
        out.put(i + ".running_mean", b.runningMean());
        out.put(i + ".running_var", b.runningVar());
      }
    }
    return out;
  }

  /** Total number of trained scalars. */
  public long parameterCount() {
    return parameters().stream().mapToLong(p -> p.array().size()).sum();
  }

  /** Turns on gradient recording for every parameter. */
  public void requireGradients() {
    for (NamedArray p : parameters()) {
      if (!p.array().hasGradient()) {
        p.array().setRequiresGradient(true);
      }
    }
  }

  /** One line per layer. */
  public String summary() {
    StringBuilder sb = new StringBuilder(architecture).append(" (input ").append(inputShape)
        .append(", ").append(parameterCount()).append(" parameters)\n");
    for (int i = 0; i < layers.size(); i++) {
      sb.append(String.format("  %2d  %s%n", i, layers.get(i).describe()));
    }
    return sb.toString();
  }

  @Override
  public void close() {
    manager.close();
  }
}

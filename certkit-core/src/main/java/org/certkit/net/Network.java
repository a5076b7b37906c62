package org.certkit.net;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A feed-forward network: a topologically ordered graph of nodes, each a {@link Layer} and the
 * nodes it reads, and the manager that owns their arrays. A chain (every node reads the one before
 * it) is the common case; residual blocks and branches join in an {@link Add}. The last node is the
 * output; {@link #INPUT} stands for the network's input.
 *
 * <p>Lifecycle: an {@link Architectures} factory or a checkpoint creates the network together with
 * a manager of its own; the optimiser updates parameter arrays in place; {@link #close()} frees all
 * of them. Computations on the network (forward passes, bounds) run in the caller's managers and
 * never allocate in the network's manager.
 */
public final class Network implements AutoCloseable {

  /** A named array of the network's state. */
  public record NamedArray(String name, NDArray array) {}

  /** The index that stands for the network's input among a node's inputs. */
  public static final int INPUT = -1;

  /**
   * How a computation evaluates one node from the values of the nodes it reads.
   *
   * @param <T> the value of a node: an array, a box, a pair of arrays
   */
  @FunctionalInterface
  public interface NodeRule<T> {
    /**
     * The value of node {@code index}.
     *
     * @param inputs the values of the nodes it reads, in order (two for {@link Add})
     */
    T apply(int index, Layer layer, List<T> inputs);
  }

  private final String architecture;
  private final Shape inputShape;
  private final List<Layer> layers;
  private final int[][] inputs;
  private final NDManager manager;

  /**
   * A chain of layers whose arrays belong to {@code manager}; the network takes ownership of it.
   *
   * @param architecture a name for humans and checkpoints, such as {@code cnn3}
   * @param inputShape one input without the batch axis, such as {@code (1, 28, 28)}
   */
  public Network(String architecture, Shape inputShape, List<Layer> layers, NDManager manager) {
    this(architecture, inputShape, layers, chainInputs(layers.size()), manager);
  }

  /**
   * A graph of layers: node {@code i} computes {@code layers.get(i)} on the outputs of the nodes
   * {@code inputs.get(i)} (earlier nodes, or {@link #INPUT}).
   *
   * @throws IllegalArgumentException when a node reads a later node, has the wrong number of
   *     inputs for its layer, or is read by no later node (but the last)
   */
  public Network(String architecture, Shape inputShape, List<Layer> layers, List<int[]> inputs,
      NDManager manager) {
    if (layers.isEmpty()) {
      throw new IllegalArgumentException("a network needs at least one layer");
    }
    if (inputs.size() != layers.size()) {
      throw new IllegalArgumentException(layers.size() + " layers but " + inputs.size()
          + " input lists");
    }
    this.architecture = architecture;
    this.inputShape = inputShape;
    this.layers = List.copyOf(layers);
    this.inputs = new int[inputs.size()][];
    boolean[] read = new boolean[layers.size()];
    for (int i = 0; i < layers.size(); i++) {
      int[] in = inputs.get(i).clone();
      int expected = layers.get(i) instanceof Add ? 2 : 1;
      if (in.length != expected) {
        throw new IllegalArgumentException("node " + i + " (" + layers.get(i).describe()
            + ") reads " + in.length + " nodes, needs " + expected);
      }
      for (int j : in) {
        if (j < INPUT || j >= i) {
          throw new IllegalArgumentException("node " + i + " reads node " + j
              + ": nodes may read the input or earlier nodes only");
        }
        if (j >= 0) {
          read[j] = true;
        }
      }
      this.inputs[i] = in;
    }
    for (int i = 0; i < layers.size() - 1; i++) {
      if (!read[i]) {
        throw new IllegalArgumentException("node " + i + " (" + layers.get(i).describe()
            + ") is read by no later node");
      }
    }
    this.manager = manager;
  }

  private static List<int[]> chainInputs(int size) {
    List<int[]> out = new ArrayList<>();
    for (int i = 0; i < size; i++) {
      out.add(new int[] {i - 1});
    }
    return out;
  }

  /** The architecture name. */
  public String architecture() {
    return architecture;
  }

  /** Shape of one input, without the batch axis. */
  public Shape inputShape() {
    return inputShape;
  }

  /** The layers of the nodes, in node order. */
  public List<Layer> layers() {
    return layers;
  }

  /** The nodes node {@code node} reads ({@link #INPUT} for the network's input). */
  public int[] inputs(int node) {
    return inputs[node].clone();
  }

  /** Whether every node reads the one before it (a plain sequence of layers). */
  public boolean isChain() {
    for (int i = 0; i < inputs.length; i++) {
      if (inputs[i].length != 1 || inputs[i][0] != i - 1) {
        return false;
      }
    }
    return true;
  }

  /**
   * Evaluates the first {@code count} nodes in order with {@code rule}.
   *
   * @param input the value of {@link #INPUT}
   * @return the value of every evaluated node, in node order
   */
  public <T> List<T> evaluate(T input, NodeRule<T> rule, int count) {
    List<T> values = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      List<T> arguments = new ArrayList<>(inputs[i].length);
      for (int j : inputs[i]) {
        arguments.add(j == INPUT ? input : values.get(j));
      }
      values.add(rule.apply(i, layers.get(i), arguments));
    }
    return values;
  }

  /** The value of the output node under {@code rule}. */
  public <T> T evaluate(T input, NodeRule<T> rule) {
    return evaluate(input, rule, layers.size()).getLast();
  }

  /**
   * The value of the node the output node reads, given the values of all other nodes (from
   * {@link #evaluate(Object, NodeRule, int)} with {@code count = layers().size() - 1}); used to
   * merge a last Linear layer into a specification. Needs an output node with one input.
   */
  public <T> T outputInput(T input, List<T> values) {
    int[] in = inputs[layers.size() - 1];
    if (in.length != 1) {
      throw new IllegalStateException("the output node reads " + in.length + " nodes");
    }
    return in[0] == INPUT ? input : values.get(in[0]);
  }

  /**
   * This network with its parameters cut from gradient recording: views of the same arrays (no
   * copy) in a sub-manager of {@code scope}, so a backward pass through it computes the gradient
   * of its input only. Attacks need nothing else, and a backward pass that also computes every
   * parameter's gradient costs about half again as much. BatchNorm's running statistics are the
   * network's own arrays. Closing the returned network frees the views only.
   */
  public Network detached(NDManager scope) {
    NDManager views = scope.newSubManager();
    List<Layer> cut = new ArrayList<>(layers.size());
    for (Layer layer : layers) {
      cut.add(switch (layer) {
        case Linear l -> new Linear(view(l.weight(), views), view(l.bias(), views));
        case Conv2d c -> new Conv2d(view(c.weight(), views), view(c.bias(), views), c.stride(),
            c.padding());
        case BatchNorm b -> new BatchNorm(view(b.gamma(), views), view(b.beta(), views),
            b.runningMean(), b.runningVar(), b.epsilon(), b.momentum());
        case Relu r -> r;
        case Flatten f -> f;
        case Normalize n -> n;
        case Add a -> a;
        case AvgPool p -> p;
        case MaxPool p -> p;
        case Sigmoid g -> g;
        case Tanh t -> t;
      });
    }
    List<int[]> reads = new ArrayList<>();
    for (int[] in : inputs) {
      reads.add(in.clone());
    }
    return new Network(architecture, inputShape, cut, reads, views);
  }

  /** {@code a} without gradient history, owned by {@code scope}; null stays null. */
  private static NDArray view(NDArray a, NDManager scope) {
    if (a == null) {
      return null;
    }
    NDArray out = a.stopGradient();
    out.attach(scope);
    return out;
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
        case Add a -> { }
        case AvgPool p -> { }
        case MaxPool p -> { }
        case Sigmoid s -> { }
        case Tanh t -> { }
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

  /** One line per node; graphs name the nodes each reads. */
  public String summary() {
    StringBuilder sb = new StringBuilder(architecture).append(" (input ").append(inputShape)
        .append(", ").append(parameterCount()).append(" parameters)\n");
    boolean chain = isChain();
    for (int i = 0; i < layers.size(); i++) {
      sb.append(String.format("  %2d  %s", i, layers.get(i).describe()));
      if (!chain) {
        sb.append("  <- ").append(java.util.Arrays.stream(inputs[i])
            .mapToObj(j -> j == INPUT ? "input" : String.valueOf(j))
            .collect(java.util.stream.Collectors.joining(", ")));
      }
      sb.append('\n');
    }
    return sb.toString();
  }

  @Override
  public void close() {
    manager.close();
  }
}

package org.certkit.io.onnx;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.IntStream;
import java.util.stream.Collectors;
import org.certkit.io.onnx.OnnxModel.Attribute;
import org.certkit.io.onnx.OnnxModel.Graph;
import org.certkit.io.onnx.OnnxModel.Node;
import org.certkit.io.onnx.OnnxModel.Tensor;
import org.certkit.io.onnx.OnnxModel.ValueInfo;
import org.certkit.net.Add;
import org.certkit.net.AvgPool;
import org.certkit.net.BatchNorm;
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
 * Reads an ONNX model (from {@code torch.onnx.export}, a VNN-COMP benchmark or
 * {@link OnnxExporter}) into a certkit {@link Network}.
 *
 * <p>The graph is any DAG from its one input to its one output (nodes in topological order, as
 * ONNX requires): every certkit node reads the nodes that produce its ONNX inputs, so a value may
 * feed several nodes (residual blocks, parallel branches) and an {@code Add} of two computed
 * values is an {@link Add} node. Nodes the output does not depend on are dropped. The ops (opset 7
 * or newer), mapped in one table:
 *
 * <ul>
 *   <li>{@code Gemm} ({@code transA = 0}; alpha and beta are folded into the weights) and
 *       {@code MatMul} by a constant (on the last axis), optionally followed by {@code Add} of a
 *       constant (the bias, when nothing else reads their output): {@link Linear};
 *   <li>{@code Add} of two computed values of one shape: {@link Add};
 *   <li>{@code Conv} with one group, a square kernel, equal strides, symmetric padding and
 *       dilation 1: {@link Conv2d};
 *   <li>{@code Relu}: {@link Relu};
 *   <li>{@code Flatten} (from axis 1), {@code Reshape} by a constant shape ({@code [B, ...]}
 *       with {@code B} 0 (keep), 1 or -1), {@code Squeeze} and {@code Unsqueeze} (axes as an
 *       attribute or, from opset 13, a constant input) that flatten or only add or drop unit axes
 *       after the batch axis: a {@link Flatten} when an image becomes flat, else no layer (the
 *       dims are tracked, so {@code [N, 784, 1]} stays 784 features);
 *   <li>{@code BatchNormalization} in inference form: {@link BatchNorm} with the stored running
 *       statistics;
 *   <li>{@code Sub} and then {@code Div} by scalar or per-channel constants before any other
 *       layer: {@link Normalize};
 *   <li>{@code Identity} and {@code Dropout} (inference: identity); {@code Constant} nodes feeding
 *       any of the above.
 * </ul>
 *
 * <p>Weights stay in the file's precision (float32 or float64); normalisation constants become
 * float32. The input is {@code [N, C, H, W]} (an image) or flat: {@code [N, F]}, or any shape
 * whose axes after the batch axis are all 1 but one, such as VNN-COMP's {@code [1, 1, 1, F]} and
 * {@code [1, F, 1]}. Given the image shape of the data the network will see, a model with
 * {@code C * H * W} flat features gets a leading {@link Flatten} and that image shape as its input
 * shape, so that it consumes images like every certkit network.
 *
 * <p>The output node is whatever the graph's output is: a model ending in {@code Relu} (or in an
 * {@code Add}) is read as it is, and answers output bounds and bounds of linear constraints (as
 * VNNLIB gives them), but has no logits: {@link Network#numClasses()} and margin bounds need a
 * {@link Linear} last layer, so loading it for a data set's classes fails naming the file.
 */
public final class OnnxImporter {

  /** The ops certkit reads. */
  public static final List<String> SUPPORTED_OPS = List.of("Gemm", "MatMul",
      "Add (a bias, or of two computed values)", "Conv", "Relu", "Flatten", "Reshape", "Squeeze",
      "Unsqueeze", "BatchNormalization", "Sub and Div (at the input)", "Identity", "Dropout",
      "Constant", "AveragePool", "MaxPool", "Sigmoid", "Tanh");

  private static final int MIN_OPSET = 7;

  private OnnxImporter() {}

  /**
   * Reads {@code file} with the input shape it declares: {@code (C, H, W)} for an image input,
   * {@code (F)} for a flat one. The network's arrays live in a new sub-manager of {@code parent}
   * owned by the network.
   *
   * @throws NoSuchFileException naming the file when it does not exist
   * @throws IOException naming the file when it is not a readable ONNX model (truncated, corrupt)
   * @throws IllegalArgumentException naming the file, the node and the op when the graph uses an
   *     op or a form certkit does not support
   */
  public static Network read(Path file, NDManager parent) throws IOException {
    return read(file, null, parent);
  }

  /**
   * Reads {@code file} for data of one image shape: an image input must have that shape, a flat
   * input that many features (the network then starts with a {@link Flatten}).
   *
   * @param imageShape the data's image shape {@code (C, H, W)}, or null to take the file's
   * @throws IllegalArgumentException also when the file's input does not fit {@code imageShape}
   * @see #read(Path, NDManager)
   */
  public static Network read(Path file, Shape imageShape, NDManager parent) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new NoSuchFileException(file.toString(), null, "ONNX model not found");
    }
    OnnxModel model;
    try {
      model = OnnxModel.parse(Files.readAllBytes(file));
    } catch (IOException | RuntimeException e) {
      throw new IOException(file + ": not a readable ONNX model: " + e.getMessage(), e);
    }
    if (model.opset() != 0 && model.opset() < MIN_OPSET) {
      throw new IllegalArgumentException(file + ": ONNX opset " + model.opset()
          + " is older than " + MIN_OPSET + ", the oldest certkit reads");
    }
    String architecture = model.producerName().equals("certkit") && !model.graph().name().isEmpty()
        ? model.graph().name() : file.getFileName().toString();
    NDManager manager = parent.newSubManager();
    try {
      return new Conversion(file, model.graph(), manager).network(architecture, imageShape);
    } catch (RuntimeException e) {
      manager.close();
      throw e;
    }
  }

  /**
   * The state of one conversion: the nodes built so far, the certkit node and layout behind every
   * ONNX value name, and the values a later Add or Div may still fold into their producer.
   */
  private static final class Conversion {
    private final Path file;
    private final Graph graph;
    private final NDManager manager;
    private final Map<String, Tensor> constants = new HashMap<>();
    /** How many nodes (and graph outputs) read each value. */
    private final Map<String, Integer> readers = new HashMap<>();
    private final Map<String, Value> values = new HashMap<>();
    private final List<Layer> layers = new ArrayList<>();
    private final List<int[]> inputs = new ArrayList<>();
    /**
     * Outputs of a {@link Linear} whose bias an Add may still extend, with that bias (empty:
     * zero, from a MatMul).
     */
    private final Map<String, Optional<Tensor>> openBias = new HashMap<>();
    /** Outputs of a {@link Normalize} from a {@code Sub} that a Div may still complete. */
    private final Set<String> awaitingDiv = new HashSet<>();
    private Node node;
    private int nodeIndex;
    /** The value the current node computes on (its first computed input). */
    private Value in;

    /** The certkit node ({@link Network#INPUT} for the input) holding a value, and its layout. */
    private record Value(int node, TensorLayout layout) {
      Value withOnnxDims(long[] dims) {
        return new Value(node, layout.withOnnxDims(dims));
      }
    }

    Conversion(Path file, Graph graph, NDManager manager) {
      this.file = file;
      this.graph = graph;
      this.manager = manager;
      for (Tensor t : graph.initializers()) {
        constants.put(t.name(), t);
      }
      for (Node n : graph.nodes()) {
        n.inputs().forEach(name -> readers.merge(name, 1, Integer::sum));
      }
      graph.outputs().forEach(v -> readers.merge(v.name(), 1, Integer::sum));
    }

    Network network(String architecture, Shape imageShape) {
      ValueInfo input = single(graph.inputs().stream()
          .filter(v -> !constants.containsKey(v.name())).toList(), "input");
      ValueInfo output = single(graph.outputs(), "output");
      Shape inputShape = inputShape(input, imageShape);
      for (nodeIndex = 0; nodeIndex < graph.nodes().size(); nodeIndex++) {
        node = graph.nodes().get(nodeIndex);
        if (node.opType().equals("Constant")) {
          constants.put(output(), constantValue());
          continue;
        }
        if (!isSupported(node.opType())) {
          throw fail("unsupported op " + node.opType() + "; certkit reads " + String.join(", ",
              SUPPORTED_OPS));
        }
        List<String> data = node.inputs().stream()
            .filter(name -> !name.isEmpty() && !constants.containsKey(name)).toList();
        if (data.isEmpty()) {
          throw fail("reads only constants; certkit computes nothing from constants alone");
        }
        if (data.size() > (node.opType().equals("Add") ? 2 : 1)) {
          throw fail("reads the computed tensors " + data + "; of the ops certkit reads only"
              + " Add takes two computed tensors, the others one");
        }
        List<Value> read = data.stream().map(this::value).toList();
        in = read.getFirst();
        values.put(output(), convert(read));
      }
      node = null;
      Value result = values.get(output.name());
      if (result == null) {
        throw fail("the graph's output '" + output.name() + "' is produced by no node");
      }
      if (result.node() == Network.INPUT) {
        throw fail("the graph computes nothing certkit keeps (no layers)");
      }
      return live(architecture, inputShape, result.node());
    }

    /**
     * The network of the nodes {@code output} depends on, renumbered in order (nodes whose values
     * the output does not read, such as unused branches, are dropped).
     */
    private Network live(String architecture, Shape inputShape, int output) {
      boolean[] live = new boolean[output + 1];
      live[output] = true;
      for (int i = output; i >= 0; i--) {
        for (int j : live[i] ? inputs.get(i) : new int[0]) {
          if (j != Network.INPUT) {
            live[j] = true;
          }
        }
      }
      int[] renumbered = new int[output + 1];
      List<Layer> kept = new ArrayList<>();
      List<int[]> keptInputs = new ArrayList<>();
      for (int i = 0; i <= output; i++) {
        renumbered[i] = kept.size();
        if (live[i]) {
          kept.add(layers.get(i));
          keptInputs.add(Arrays.stream(inputs.get(i))
              .map(j -> j == Network.INPUT ? j : renumbered[j]).toArray());
        }
      }
      return new Network(architecture, inputShape, kept, keptInputs, manager);
    }

    /** The value named {@code name}, which an earlier node or the graph's input must produce. */
    private Value value(String name) {
      Value v = values.get(name);
      if (v == null) {
        throw fail("reads '" + name + "', which is neither a constant nor the output of an"
            + " earlier node");
      }
      return v;
    }

    /**
     * The network's input shape; records the layout of the graph's input, behind a leading
     * Flatten when a flat model reads images.
     */
    private Shape inputShape(ValueInfo input, Shape imageShape) {
      long[] dims = input.dims();
      boolean known = dims != null && dims.length >= 2
          && Arrays.stream(dims, 1, dims.length).allMatch(d -> d > 0);
      if (!known) {
        if (imageShape == null) {
          throw fail("the input '" + input.name() + "' has no static shape "
              + Arrays.toString(dims) + " and no image shape was given");
        }
        values.put(input.name(), new Value(Network.INPUT, TensorLayout.of(imageShape)));
        return imageShape;
      }
      long[] example = Arrays.copyOfRange(dims, 1, dims.length);
      boolean flatLike = example.length == 3
          ? Arrays.stream(example, 0, 2).allMatch(d -> d == 1) : TensorLayout.flatLike(example);
      if (flatLike) {
        int features = (int) Arrays.stream(example).reduce(1, Math::multiplyExact);
        TensorLayout layout = TensorLayout.features(features).withOnnxDims(example);
        if (imageShape == null || (imageShape.dimension() == 1 && imageShape.get(0) == features)) {
          values.put(input.name(), new Value(Network.INPUT, layout));
          return new Shape(features);
        }
        if (imageShape.size() != features) {
          throw fail("the input '" + input.name() + "' has " + features + " features but the"
              + " data's " + TensorLayout.of(imageShape) + " inputs have " + imageShape.size());
        }
        layers.add(new Flatten());
        inputs.add(new int[] {Network.INPUT});
        values.put(input.name(), new Value(0, layout));
        return imageShape;
      }
      if (example.length != 3) {
        throw fail("the input '" + input.name() + "' has shape " + Arrays.toString(dims)
            + "; certkit reads [N, C, H, W] and [N, F] (with unit axes added or dropped)");
      }
      Shape declared = new Shape(example);
      if (imageShape != null && !imageShape.equals(declared)) {
        throw fail("the input '" + input.name() + "' has shape " + TensorLayout.of(declared)
            + " but the data's inputs are " + TensorLayout.of(imageShape));
      }
      values.put(input.name(), new Value(Network.INPUT, TensorLayout.of(declared)));
      return declared;
    }

    private static boolean isSupported(String op) {
      return switch (op) {
        case "Gemm", "MatMul", "Add", "Conv", "Relu", "Flatten", "Reshape", "Squeeze",
            "Unsqueeze", "BatchNormalization", "Sub", "Div", "Identity", "Dropout", "AveragePool",
            "MaxPool", "Sigmoid", "Tanh" -> true;
        default -> false;
      };
    }

    /** The op table: one branch per supported op, giving the value of the node's output. */
    private Value convert(List<Value> read) {
      return switch (node.opType()) {
        case "Gemm" -> gemm();
        case "MatMul" -> matMul();
        case "Add" -> read.size() == 2 ? addLayer(new Add(), read) : bias();
        case "Conv" -> conv();
        case "Relu" -> addLayer(new Relu(), read);
        case "Flatten" -> flatten();
        case "Reshape" -> reshape();
        case "Squeeze" -> squeeze();
        case "Unsqueeze" -> unsqueeze();
        case "BatchNormalization" -> batchNorm();
        case "Sub" -> sub();
        case "Div" -> div();
        case "Identity" -> passThrough();
        case "Dropout" -> dropout();
        case "AveragePool" -> pool(true);
        case "MaxPool" -> pool(false);
        case "Sigmoid" -> addLayer(new Sigmoid(), read);
        case "Tanh" -> addLayer(new Tanh(), read);
        default -> throw new IllegalStateException("op table misses " + node.opType());
      };
    }

    private Value gemm() {
      if (intAttribute("transA", 0) != 0) {
        throw fail("transA = 1 is not supported");
      }
      requireCanonical(true, "Gemm");
      Tensor b = weight(1, "B", 2);
      Tensor weight = intAttribute("transB", 0) != 0 ? b : b.transposed();
      float alpha = floatAttribute("alpha", 1);
      float beta = floatAttribute("beta", 1);
      if (alpha != 1) {
        weight = weight.combined(scalar(alpha), (w, a) -> w * a);
      }
      Tensor bias = null;
      if (node.inputs().size() > 2 && !node.inputs().get(2).isEmpty()) {
        bias = biasOf(constant(2, "C"), (int) weight.dims()[0]);
        if (beta != 1) {
          bias = bias.combined(scalar(beta), (c, s) -> c * s);
        }
      }
      return addLinear(weight, bias, new long[] {weight.dims()[0]});
    }

    /** {@code MatMul} by a constant on the last axis, which must hold all the features. */
    private Value matMul() {
      TensorLayout layout = in.layout();
      long[] dims = layout.onnxShape();
      if (!layout.flat() || dims.length == 0 || dims[dims.length - 1] != layout.size()) {
        throw fail("needs flat input with its features on the last axis but gets " + layout
            + "; add a Flatten before it");
      }
      Tensor b = weight(1, "B", 2);
      dims[dims.length - 1] = b.dims()[1];
      return addLinear(b.transposed(), null, dims);
    }

    private Value addLinear(Tensor weight, Tensor bias, long[] outDims) {
      if (!in.layout().flat()) {
        throw fail("needs flat input but gets " + in.layout() + "; add a Flatten before it");
      }
      if (weight.dims()[1] != in.layout().size()) {
        throw fail("weight " + Arrays.toString(weight.dims()) + " (as [out, in]) does not fit "
            + in.layout());
      }
      Value out = addLayer(new Linear(array(weight), bias == null
          ? zeros(weight, weight.dims()[0]) : array(bias)), List.of(in)).withOnnxDims(outDims);
      openBias.put(output(), Optional.ofNullable(bias));
      return out;
    }

    /**
     * {@code Add} of a constant to the output of a MatMul or Gemm that nothing else reads: their
     * bias.
     */
    private Value bias() {
      String data = dataInput();
      Optional<Tensor> open = openBias.get(data);
      if (open == null || readers.get(data) != 1) {
        throw fail("Add of a constant is supported only as the bias of a MatMul or Gemm right"
            + " before it whose output nothing else reads");
      }
      Linear linear = (Linear) layers.get(in.node());
      int position = constants.containsKey(node.inputs().get(0)) ? 0 : 1;
      Tensor c = biasOf(constant(position, "bias"), linear.outFeatures());
      Tensor bias = open.map(b -> b.combined(c, Double::sum)).orElse(c);
      linear.bias().close();
      layers.set(in.node(), new Linear(linear.weight(), array(bias)));
      return in;
    }

    private Value conv() {
      Tensor w = weight(1, "W", 4);
      if (intAttribute("group", 1) != 1) {
        throw fail("grouped convolution (group " + intAttribute("group", 1) + ") cannot be"
            + " expressed by certkit's Conv2d");
      }
      long kh = w.dims()[2];
      long kw = w.dims()[3];
      if (kh != kw) {
        throw fail("kernel " + kh + "x" + kw + " is not square; certkit's Conv2d needs a square"
            + " kernel");
      }
      long[] dilations = intsAttribute("dilations", new long[] {1, 1});
      if (Arrays.stream(dilations).anyMatch(d -> d != 1)) {
        throw fail("dilations " + Arrays.toString(dilations) + " are not supported (need 1)");
      }
      long[] strides = intsAttribute("strides", new long[] {1, 1});
      if (strides.length != 2 || strides[0] != strides[1]) {
        throw fail("strides " + Arrays.toString(strides) + " differ; certkit's Conv2d needs"
            + " equal strides");
      }
      requireCanonical(false, "Conv");
      TensorLayout layout = in.layout();
      if (w.dims()[1] != layout.channels()) {
        throw fail("weight " + Arrays.toString(w.dims()) + " expects " + w.dims()[1]
            + " input channels but gets " + layout);
      }
      int padding = padding((int) kh, (int) strides[0]);
      Tensor bias = node.inputs().size() > 2 && !node.inputs().get(2).isEmpty()
          ? biasOf(constant(2, "B"), (int) w.dims()[0]) : null;
      Conv2d conv = new Conv2d(array(w), bias == null ? zeros(w, w.dims()[0]) : array(bias),
          (int) strides[0], padding);
      if (conv.outputSize(layout.height()) < 1 || conv.outputSize(layout.width()) < 1) {
        throw fail(conv.describe() + " does not fit its input " + layout);
      }
      return addLayer(conv, List.of(in));
    }

    /**
     * {@code AveragePool} or {@code MaxPool} with a square kernel, equal strides, symmetric
     * padding and floor rounding; an average over a padded window must count the padding.
     */
    private Value pool(boolean average) {
      String op = node.opType();
      long[] kernel = intsAttribute("kernel_shape", new long[0]);
      if (kernel.length != 2 || kernel[0] != kernel[1]) {
        throw fail("kernel_shape " + Arrays.toString(kernel) + " is not a square 2-D window");
      }
      long[] strides = intsAttribute("strides", new long[] {1, 1});
      if (strides.length != 2 || strides[0] != strides[1]) {
        throw fail("strides " + Arrays.toString(strides) + " differ; certkit's " + op
            + " needs equal strides");
      }
      if (intAttribute("ceil_mode", 0) != 0) {
        throw fail("ceil_mode = 1 is not supported");
      }
      long[] dilations = intsAttribute("dilations", new long[] {1, 1});
      if (Arrays.stream(dilations).anyMatch(d -> d != 1)) {
        throw fail("dilations " + Arrays.toString(dilations) + " are not supported (need 1)");
      }
      requireCanonical(false, op);
      int k = (int) kernel[0];
      int padding = padding(k, (int) strides[0]);
      if (average && padding > 0 && intAttribute("count_include_pad", 0) == 0) {
        throw fail("an average over padded windows that leaves the padding out of the divisor"
            + " (count_include_pad = 0) is not supported");
      }
      if (2 * padding > k) {
        throw fail("padding " + padding + " is more than half the kernel " + k);
      }
      Layer layer = average ? new AvgPool(k, (int) strides[0], padding)
          : new MaxPool(k, (int) strides[0], padding);
      TensorLayout layout = in.layout();
      if (layout.after(layer).height() < 1 || layout.after(layer).width() < 1) {
        throw fail(layer.describe() + " does not fit its input " + layout);
      }
      return addLayer(layer, List.of(in));
    }

    /** Symmetric padding from {@code pads} or {@code auto_pad}. */
    private int padding(int kernel, int stride) {
      String autoPad = stringAttribute("auto_pad", "NOTSET");
      switch (autoPad) {
        case "NOTSET" -> {
          long[] pads = intsAttribute("pads", new long[] {0, 0, 0, 0});
          if (pads.length != 4 || Arrays.stream(pads).anyMatch(p -> p != pads[0])) {
            throw fail("pads " + Arrays.toString(pads) + " are not symmetric; certkit's Conv2d"
                + " pads every side alike");
          }
          return (int) pads[0];
        }
        case "VALID" -> {
          return 0;
        }
        case "SAME_UPPER", "SAME_LOWER" -> {
          int total = -1;
          for (int side : new int[] {in.layout().height(), in.layout().width()}) {
            int out = (side + stride - 1) / stride;
            int t = Math.max((out - 1) * stride + kernel - side, 0);
            if (t % 2 != 0 || (total >= 0 && t != total)) {
              throw fail("auto_pad " + autoPad + " pads unevenly here; certkit's Conv2d pads"
                  + " every side alike");
            }
            total = t;
          }
          return total / 2;
        }
        default -> throw fail("unknown auto_pad " + autoPad);
      }
    }

    /** {@code Flatten} from axis 1, or from a later axis when all axes before it are 1. */
    private Value flatten() {
      long[] dims = in.layout().onnxShape();
      int rank = dims.length + 1;
      long given = intAttribute("axis", 1);
      long axis = given < 0 ? given + rank : given;
      if (axis < 1 || axis > rank
          || Arrays.stream(dims, 0, (int) axis - 1).anyMatch(d -> d != 1)) {
        throw fail("axis " + given + " of " + in.layout() + " would merge the batch axis with"
            + " others; certkit flattens from axis 1");
      }
      return reshaped(new long[] {in.layout().size()});
    }

    /** {@code Reshape} by a constant shape that flattens or adds or drops unit axes. */
    private Value reshape() {
      Tensor shape = constant(1, "shape");
      if (shape.dataType() != OnnxModel.INT64) {
        throw fail("shape '" + shape.name() + "' is not int64");
      }
      long[] target = shape.longs();
      long[] dims = in.layout().onnxShape();
      long size = in.layout().size();
      boolean allowZero = intAttribute("allowzero", 0) != 0;
      String refusal = "Reshape to " + Arrays.toString(target) + " of " + in.layout() + " is not"
          + " a flatten and does not only add or drop unit axes; certkit reads Reshape to [B, -1]"
          + " or [B, " + size + "] with B = 0 (keep), 1 or -1 (not both -1), and reshapes that"
          + " add or drop axes of length 1";
      if (target.length == 0 || !(target[0] == 1 || target[0] == -1
          || (target[0] == 0 && !allowZero))) {
        throw fail(refusal);
      }
      long[] out = new long[target.length - 1];
      int inferred = target[0] == -1 ? -2 : -1;
      for (int k = 0; k < out.length; k++) {
        long t = target[k + 1];
        if (t == 0 && !allowZero && k < dims.length) {
          out[k] = dims[k];
        } else if (t == -1 && inferred == -1) {
          inferred = k;
        } else if (t > 0) {
          out[k] = t;
        } else {
          throw fail(refusal);
        }
      }
      if (inferred >= 0) {
        long known = 1;
        for (int k = 0; k < out.length; k++) {
          known *= k == inferred ? 1 : out[k];
        }
        if (known == 0 || size % known != 0) {
          throw fail(refusal);
        }
        out[inferred] = size / known;
      }
      if (Arrays.stream(out).reduce(1, Math::multiplyExact) != size) {
        throw fail(refusal);
      }
      return reshaped(out, refusal);
    }

    /** {@code Squeeze} of unit axes after the batch axis (all of them when none are named). */
    private Value squeeze() {
      long[] dims = in.layout().onnxShape();
      long[] axes = axes(false);
      if (axes == null) {
        return reshaped(Arrays.stream(dims).filter(d -> d != 1).toArray());
      }
      boolean[] dropped = new boolean[dims.length];
      for (long axis : normalisedAxes(axes, dims.length + 1)) {
        if (dims[(int) axis - 1] != 1) {
          throw fail("axis " + axis + " of " + in.layout() + " has length "
              + dims[(int) axis - 1] + ", not 1");
        }
        dropped[(int) axis - 1] = true;
      }
      return reshaped(IntStream.range(0, dims.length).filter(k -> !dropped[k])
          .mapToLong(k -> dims[k]).toArray());
    }

    /** {@code Unsqueeze}: unit axes inserted after the batch axis. */
    private Value unsqueeze() {
      long[] dims = in.layout().onnxShape();
      long[] axes = axes(true);
      int rank = dims.length + 1 + axes.length;
      boolean[] inserted = new boolean[rank];
      for (long axis : normalisedAxes(axes, rank)) {
        inserted[(int) axis] = true;
      }
      long[] out = new long[rank - 1];
      for (int k = 1, next = 0; k < rank; k++) {
        out[k - 1] = inserted[k] ? 1 : dims[next++];
      }
      return reshaped(out);
    }

    /**
     * The {@code axes} of a Squeeze or Unsqueeze: an attribute up to opset 12, a constant int64
     * input from opset 13; null when there are none and {@code required} is false.
     */
    private long[] axes(boolean required) {
      if (node.attributes().containsKey("axes")) {
        return intsAttribute("axes", null);
      }
      if (node.inputs().size() > 1 && !node.inputs().get(1).isEmpty()) {
        Tensor axes = constant(1, "axes");
        if (axes.dataType() != OnnxModel.INT64) {
          throw fail("axes '" + axes.name() + "' are not int64");
        }
        return axes.longs();
      }
      if (required) {
        throw fail("no axes (neither an attribute nor a constant input)");
      }
      return null;
    }

    /** {@code axes} of a value of {@code rank} (batch axis included) made non-negative. */
    private long[] normalisedAxes(long[] axes, int rank) {
      long[] out = new long[axes.length];
      for (int k = 0; k < axes.length; k++) {
        out[k] = axes[k] < 0 ? axes[k] + rank : axes[k];
        if (out[k] == 0) {
          throw fail("axis " + axes[k] + " is the batch axis; certkit keeps it in place");
        }
        if (out[k] < 0 || out[k] >= rank) {
          throw fail("axis " + axes[k] + " is outside a value of rank " + rank);
        }
        for (int j = 0; j < k; j++) {
          if (out[j] == out[k]) {
            throw fail("axis " + axes[k] + " is named twice");
          }
        }
      }
      return out;
    }

    private Value reshaped(long[] dims) {
      return reshaped(dims, node.opType() + " to " + TensorLayout.describe(dims) + " of "
          + in.layout() + " is not a flatten and does not only add or drop unit axes");
    }

    /**
     * The node's input held with ONNX dims {@code dims} (the same values in the same order): no
     * layer when certkit's layout stays, a {@link Flatten} when an image becomes flat.
     *
     * @param refusal the error message when {@code dims} neither flatten nor only add or drop
     *     unit axes
     */
    private Value reshaped(long[] dims, String refusal) {
      TensorLayout layout = in.layout();
      if (!layout.flat() && Arrays.equals(dims, layout.dims())) {
        return in.withOnnxDims(dims);
      }
      if (TensorLayout.flatLike(dims)) {
        return layout.flat() ? in.withOnnxDims(dims)
            : addLayer(new Flatten(), List.of(in)).withOnnxDims(dims);
      }
      long[] kept = Arrays.stream(dims).filter(d -> d != 1).toArray();
      if (!layout.flat()
          && Arrays.equals(kept, Arrays.stream(layout.dims()).filter(d -> d != 1).toArray())) {
        return in.withOnnxDims(dims);
      }
      throw fail(refusal);
    }

    private Value batchNorm() {
      if (intAttribute("training_mode", 0) != 0 || intAttribute("spatial", 1) != 1
          || node.outputs().stream().filter(o -> !o.isEmpty()).count() != 1) {
        throw fail("only the inference form is supported (one output, training_mode 0,"
            + " spatial 1)");
      }
      TensorLayout layout = in.layout();
      requireCanonical(layout.flat(), "BatchNormalization");
      int channels = layout.channels();
      Tensor[] arrays = new Tensor[4];
      String[] roles = {"scale", "B", "input_mean", "input_var"};
      for (int k = 0; k < 4; k++) {
        arrays[k] = constant(k + 1, roles[k]);
        if (!arrays[k].isFloatingPoint() || arrays[k].count() != channels) {
          throw fail(roles[k] + " '" + arrays[k].name() + "' has dims "
              + Arrays.toString(arrays[k].dims()) + " but the input has " + channels
              + (layout.flat() ? " features" : " channels"));
        }
      }
      long[] shape = {channels};
      float epsilon = floatAttribute("epsilon", 1e-5f);
      float momentum = certkitMomentum(floatAttribute("momentum", 0.9f));
      return addLayer(new BatchNorm(array(arrays[0], shape), array(arrays[1], shape),
          array(arrays[2], shape), array(arrays[3], shape), epsilon, momentum), List.of(in));
    }

    /** {@code Sub} of a constant at the input: the mean of a {@link Normalize}. */
    private Value sub() {
      requireDataFirst();
      if (!layers.stream().allMatch(l -> l instanceof Flatten)) {
        throw fail("Sub is supported only as input normalisation, before any other layer");
      }
      float[] mean = channelValues(constant(1, "B"));
      float[] ones = new float[mean.length];
      Arrays.fill(ones, 1);
      Value out = addLayer(normalize(mean, ones), List.of(in));
      awaitingDiv.add(output());
      return out;
    }

    /**
     * {@code Div} by a constant at the input, completing the Normalize of a Sub whose output
     * nothing else reads, or alone: a {@link Normalize}.
     */
    private Value div() {
      requireDataFirst();
      float[] std = channelValues(constant(1, "B"));
      String data = dataInput();
      if (awaitingDiv.contains(data) && readers.get(data) == 1) {
        float[] mean = ((Normalize) layers.get(in.node())).mean();
        int n = Math.max(mean.length, std.length);
        layers.set(in.node(), normalize(expand(mean, n), expand(std, n)));
        return in;
      }
      if (!layers.stream().allMatch(l -> l instanceof Flatten)) {
        throw fail("Div is supported only as input normalisation, before any other layer");
      }
      return addLayer(normalize(new float[std.length], std), List.of(in));
    }

    private Normalize normalize(float[] mean, float[] std) {
      try {
        return new Normalize(mean, std);
      } catch (IllegalArgumentException e) {
        throw fail(e.getMessage());
      }
    }

    private Value dropout() {
      if (node.inputs().size() > 2 && !node.inputs().get(2).isEmpty()
          && constant(2, "training_mode").doubles()[0] != 0) {
        throw fail("training_mode is true; only inference (identity) is supported");
      }
      return passThrough();
    }

    /**
     * The node's input unchanged (Identity, Dropout); a bias or a Div its input still awaited
     * may follow this node instead, when nothing else reads the input.
     */
    private Value passThrough() {
      String data = dataInput();
      if (readers.get(data) == 1) {
        if (openBias.containsKey(data)) {
          openBias.put(output(), openBias.get(data));
        }
        if (awaitingDiv.contains(data)) {
          awaitingDiv.add(output());
        }
      }
      return in;
    }

    /** Appends a node computing {@code layer} on {@code read}; the value of its output. */
    private Value addLayer(Layer layer, List<Value> read) {
      TensorLayout layout = read.getFirst().layout();
      for (Value v : read) {
        if (!v.layout().equals(layout)) {
          throw fail("adds " + layout + " to " + v.layout() + "; certkit adds values of one"
              + " shape (no broadcasting)");
        }
      }
      layers.add(layer);
      inputs.add(read.stream().mapToInt(Value::node).toArray());
      return new Value(layers.size() - 1, layout.after(layer));
    }

    /** Fails unless the node's input is held as certkit holds it: {@code [N, F]} or an image. */
    private void requireCanonical(boolean flat, String op) {
      TensorLayout layout = in.layout();
      if (layout.flat() != flat || !layout.canonical()) {
        throw fail(op + " needs " + (flat ? "[N, F]" : "[N, C, H, W]") + " input but gets "
            + layout + (flat && !layout.flat() ? "; add a Flatten before it" : ""));
      }
    }

    /** The name of the node's computed input. */
    private String dataInput() {
      return node.inputs().stream().filter(name -> !name.isEmpty()
          && !constants.containsKey(name)).findFirst().orElseThrow();
    }

    /**
     * The values of a Sub/Div constant, one per channel (per feature on flat inputs). A constant
     * with a single distinct value is a scalar: repeated per channel on images, kept as one value
     * on flat inputs.
     */
    private float[] channelValues(Tensor c) {
      if (!c.isFloatingPoint() || c.count() == 0) {
        throw fail("constant '" + c.name() + "' is not a floating-point tensor");
      }
      TensorLayout layout = in.layout();
      double[] values = c.doubles();
      if (Arrays.stream(values).distinct().count() == 1) {
        float[] out = new float[layout.flat() ? 1 : layout.channels()];
        Arrays.fill(out, (float) values[0]);
        return out;
      }
      requireCanonical(layout.flat(), node.opType() + " by per-channel constants");
      long[] dims = c.squeezedDims();
      boolean fits = layout.flat()
          ? dims.length == 1 && dims[0] == layout.size()
          : dims.length == 3 && dims[0] == layout.channels() && dims[1] == 1 && dims[2] == 1;
      if (!fits) {
        throw fail("constant '" + c.name() + "' of dims " + Arrays.toString(c.dims())
            + " is neither a scalar nor one value per " + (layout.flat() ? "feature" : "channel")
            + " of " + layout);
      }
      float[] out = new float[values.length];
      for (int k = 0; k < out.length; k++) {
        out[k] = (float) values[k];
      }
      return out;
    }

    private static float[] expand(float[] values, int n) {
      if (values.length == n) {
        return values;
      }
      float[] out = new float[n];
      Arrays.fill(out, values[0]);
      return out;
    }

    private void requireDataFirst() {
      if (constants.containsKey(node.inputs().get(0))) {
        throw fail("constant first operand: only x - c and x / c are supported");
      }
    }

    /** A Gemm C or Add bias of {@code out} values (or one, broadcast) as a {@code [out]} tensor. */
    private Tensor biasOf(Tensor c, int out) {
      if (!c.isFloatingPoint() || (c.count() != out && c.count() != 1)) {
        throw fail("bias '" + c.name() + "' of dims " + Arrays.toString(c.dims()) + " does not"
            + " broadcast to " + out + " outputs");
      }
      Tensor shaped = new Tensor(c.name(), new long[] {c.count()}, c.dataType(), c.data());
      if (c.count() == out) {
        return shaped;
      }
      Tensor zeros = new Tensor(c.name(), new long[] {out}, c.dataType(),
          new byte[out * c.data().length]);
      return zeros.combined(shaped, Double::sum);
    }

    /** A constant floating-point input of rank {@code rank}. */
    private Tensor weight(int position, String role, int rank) {
      Tensor t = constant(position, role);
      if (!t.isFloatingPoint() || t.dims().length != rank) {
        throw fail(role + " '" + t.name() + "' must be a float32 or float64 tensor of rank "
            + rank + ", has data type " + t.dataType() + " and dims " + Arrays.toString(t.dims()));
      }
      return t;
    }

    private Tensor constant(int position, String role) {
      if (position >= node.inputs().size() || node.inputs().get(position).isEmpty()) {
        throw fail("missing input " + role);
      }
      Tensor t = constants.get(node.inputs().get(position));
      if (t == null) {
        throw fail("input " + role + " '" + node.inputs().get(position) + "' must be a constant"
            + " (an initializer or a Constant node)");
      }
      return t;
    }

    /** The value of a {@code Constant} node. */
    private Tensor constantValue() {
      String name = output();
      for (Attribute a : node.attributes().values()) {
        switch (a.name()) {
          case "value" -> {
            if (a.t() != null) {
              return a.t();
            }
          }
          case "value_float" -> {
            return Tensor.ofFloats(name, new long[0], new float[] {a.f()});
          }
          case "value_floats" -> {
            return Tensor.ofFloats(name, new long[] {a.floats().length}, a.floats());
          }
          case "value_int" -> {
            return Tensor.ofLongs(name, new long[0], new long[] {a.i()});
          }
          case "value_ints" -> {
            return Tensor.ofLongs(name, new long[] {a.ints().length}, a.ints());
          }
          default -> { }
        }
      }
      throw fail("no value certkit reads (value, value_float(s), value_int(s))");
    }

    private String output() {
      if (node.outputs().isEmpty() || node.outputs().getFirst().isEmpty()) {
        throw fail("no output");
      }
      return node.outputs().getFirst();
    }

    private NDArray array(Tensor t) {
      return array(t, t.dims());
    }

    private NDArray array(Tensor t, long[] dims) {
      Shape shape = new Shape(dims);
      return t.dataType() == OnnxModel.FLOAT ? manager.create(t.floats(), shape)
          : manager.create(t.doubles(), shape);
    }

    private NDArray zeros(Tensor like, long n) {
      return manager.zeros(new Shape(n), like.dataType() == OnnxModel.FLOAT ? DataType.FLOAT32
          : DataType.FLOAT64);
    }

    private static Tensor scalar(float value) {
      return Tensor.ofFloats("", new long[0], new float[] {value});
    }

    private long intAttribute(String name, long fallback) {
      Attribute a = node.attributes().get(name);
      return a == null ? fallback : a.i();
    }

    private float floatAttribute(String name, float fallback) {
      Attribute a = node.attributes().get(name);
      return a == null ? fallback : a.f();
    }

    private String stringAttribute(String name, String fallback) {
      Attribute a = node.attributes().get(name);
      return a == null ? fallback : a.s();
    }

    private long[] intsAttribute(String name, long[] fallback) {
      Attribute a = node.attributes().get(name);
      return a == null ? fallback : a.ints();
    }

    private ValueInfo single(List<ValueInfo> values, String what) {
      if (values.size() != 1) {
        throw fail("the graph has " + values.size() + " " + what + "s " + values.stream()
            .map(ValueInfo::name).collect(Collectors.joining(", ", "[", "]"))
            + "; certkit reads graphs with one " + what);
      }
      return values.getFirst();
    }

    /** An error naming the file and, while converting one, the node and its op. */
    private IllegalArgumentException fail(String message) {
      if (node == null) {
        return new IllegalArgumentException(file + ": " + message);
      }
      String name = node.name().isEmpty() ? "#" + nodeIndex : "'" + node.name() + "'";
      return new IllegalArgumentException(file + ": node " + name + " (" + node.opType() + "): "
          + message);
    }
  }

  /**
   * certkit's BatchNorm momentum (weight of the new batch) from ONNX's (weight of the running
   * value): {@code 1 - m}, taken as the shortest decimal that maps back to {@code m}, so that a
   * momentum such as 0.1 survives export and import exactly.
   */
  static float certkitMomentum(float onnxMomentum) {
    double exact = 1.0 - onnxMomentum;
    for (int digits = 1; digits <= 9; digits++) {
      float candidate = new BigDecimal(exact).round(new MathContext(digits)).floatValue();
      if (onnxMomentum(candidate) == onnxMomentum) {
        return candidate;
      }
    }
    return (float) exact;
  }

  /** ONNX's BatchNormalization momentum for certkit's {@code momentum}. */
  static float onnxMomentum(float momentum) {
    return (float) (1.0 - momentum);
  }
}

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
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.certkit.io.onnx.OnnxModel.Attribute;
import org.certkit.io.onnx.OnnxModel.Graph;
import org.certkit.io.onnx.OnnxModel.Node;
import org.certkit.io.onnx.OnnxModel.Tensor;
import org.certkit.io.onnx.OnnxModel.ValueInfo;
import org.certkit.net.BatchNorm;
import org.certkit.net.Conv2d;
import org.certkit.net.Flatten;
import org.certkit.net.Layer;
import org.certkit.net.Linear;
import org.certkit.net.Network;
import org.certkit.net.Normalize;
import org.certkit.net.Relu;

/**
 * Reads an ONNX model (from {@code torch.onnx.export}, a VNN-COMP benchmark or
 * {@link OnnxExporter}) into a certkit {@link Network}.
 *
 * <p>The graph must be a single chain from its one input to its one output, of these ops (opset 7
 * or newer), mapped in one table:
 *
 * <ul>
 *   <li>{@code Gemm} ({@code transA = 0}; alpha and beta are folded into the weights) and
 *       {@code MatMul} by a constant, optionally followed by {@code Add} of a constant (the bias):
 *       {@link Linear};
 *   <li>{@code Conv} with one group, a square kernel, equal strides, symmetric padding and
 *       dilation 1: {@link Conv2d};
 *   <li>{@code Relu}: {@link Relu}; {@code Flatten} (axis 1) and {@code Reshape} to
 *       {@code [B, -1]} or {@code [B, F]} with {@code B} 0 (keep), 1 or -1: {@link Flatten};
 *   <li>{@code BatchNormalization} in inference form: {@link BatchNorm} with the stored running
 *       statistics;
 *   <li>{@code Sub} and then {@code Div} by scalar or per-channel constants before any other
 *       layer: {@link Normalize};
 *   <li>{@code Identity} and {@code Dropout} (inference: identity); {@code Constant} nodes feeding
 *       any of the above.
 * </ul>
 *
 * <p>Weights stay in the file's precision (float32 or float64); normalisation constants become
 * float32. The input is {@code [N, C, H, W]} (an image) or {@code [N, F]}; an input whose axes
 * after the batch axis are all 1 but the last, such as VNN-COMP's {@code [1, 1, 1, F]}, counts as
 * {@code F} features. Given the image shape of the data the network will see, a model with
 * {@code C * H * W} flat features gets a leading {@link Flatten} and that image shape as its input
 * shape, so that it consumes images like every certkit network.
 */
public final class OnnxImporter {

  /** The ops certkit reads. */
  public static final List<String> SUPPORTED_OPS = List.of("Gemm", "MatMul", "Add (bias)",
      "Conv", "Relu", "Flatten", "Reshape", "BatchNormalization", "Sub and Div (at the input)",
      "Identity", "Dropout", "Constant");

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
   *     op or a form certkit does not support, or is not a single chain
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

  /** The state of one conversion: the chain walked so far and the layers built from it. */
  private static final class Conversion {
    private final Path file;
    private final Graph graph;
    private final NDManager manager;
    private final Map<String, Tensor> constants = new HashMap<>();
    private final List<Layer> layers = new ArrayList<>();
    private TensorLayout layout;
    /** The bias of the last layer when it is a {@link Linear} (null: zero, from a MatMul). */
    private Tensor lastBias;
    /** True while the last layer is a {@link Linear} whose bias no Add has extended yet. */
    private boolean linearTakesAdd;
    /** True while the last layer is a {@link Normalize} from a {@code Sub} awaiting its Div. */
    private boolean normalizeAwaitsDiv;
    private Node node;
    private int nodeIndex;

    Conversion(Path file, Graph graph, NDManager manager) {
      this.file = file;
      this.graph = graph;
      this.manager = manager;
      for (Tensor t : graph.initializers()) {
        constants.put(t.name(), t);
      }
    }

    Network network(String architecture, Shape imageShape) {
      ValueInfo input = single(graph.inputs().stream()
          .filter(v -> !constants.containsKey(v.name())).toList(), "input");
      ValueInfo output = single(graph.outputs(), "output");
      Shape inputShape = inputShape(input, imageShape);
      String current = input.name();
      for (nodeIndex = 0; nodeIndex < graph.nodes().size(); nodeIndex++) {
        node = graph.nodes().get(nodeIndex);
        if (node.opType().equals("Constant")) {
          constants.put(output(), constantValue());
          continue;
        }
        List<String> data = node.inputs().stream()
            .filter(name -> !name.isEmpty() && !constants.containsKey(name)).toList();
        if (!isSupported(node.opType())) {
          throw fail("unsupported op " + node.opType() + "; certkit reads " + String.join(", ",
              SUPPORTED_OPS));
        }
        if (data.size() != 1 || !data.getFirst().equals(current)) {
          throw fail("reads " + (data.isEmpty() ? "only constants" : "tensor(s) " + data)
              + " where the single chain from the input has reached '" + current + "'; certkit"
              + " reads chains only (no branches, skip connections or shape computations)");
        }
        convert();
        current = output();
      }
      node = null;
      if (!current.equals(output.name())) {
        throw fail("the graph's output '" + output.name() + "' is not the end of the chain from"
            + " its input, '" + current + "'");
      }
      if (layers.isEmpty()) {
        throw fail("the graph computes nothing certkit keeps (no layers)");
      }
      return new Network(architecture, inputShape, layers, manager);
    }

    /** The network's input shape, choosing the layout and adding a leading Flatten if needed. */
    private Shape inputShape(ValueInfo input, Shape imageShape) {
      long[] dims = input.dims();
      boolean known = dims != null && dims.length >= 2
          && Arrays.stream(dims, 1, dims.length).allMatch(d -> d > 0);
      if (!known) {
        if (imageShape == null) {
          throw fail("the input '" + input.name() + "' has no static shape "
              + Arrays.toString(dims) + " and no image shape was given");
        }
        layout = TensorLayout.of(imageShape);
        return imageShape;
      }
      long[] example = Arrays.copyOfRange(dims, 1, dims.length);
      boolean flatLike = Arrays.stream(example, 0, example.length - 1).allMatch(d -> d == 1);
      if (flatLike) {
        int features = (int) example[example.length - 1];
        if (imageShape == null || (imageShape.dimension() == 1 && imageShape.get(0) == features)) {
          layout = TensorLayout.features(features);
          return new Shape(features);
        }
        if (imageShape.size() != features) {
          throw fail("the input '" + input.name() + "' has " + features + " features but the"
              + " data's " + TensorLayout.of(imageShape) + " inputs have " + imageShape.size());
        }
        layers.add(new Flatten());
        layout = TensorLayout.features(features);
        return imageShape;
      }
      if (example.length != 3) {
        throw fail("the input '" + input.name() + "' has shape " + Arrays.toString(dims)
            + "; certkit reads [N, C, H, W] and [N, F]");
      }
      Shape declared = new Shape(example);
      if (imageShape != null && !imageShape.equals(declared)) {
        throw fail("the input '" + input.name() + "' has shape " + TensorLayout.of(declared)
            + " but the data's inputs are " + TensorLayout.of(imageShape));
      }
      layout = TensorLayout.of(declared);
      return declared;
    }

    private static boolean isSupported(String op) {
      return switch (op) {
        case "Gemm", "MatMul", "Add", "Conv", "Relu", "Flatten", "Reshape", "BatchNormalization",
            "Sub", "Div", "Identity", "Dropout" -> true;
        default -> false;
      };
    }

    /** The op table: one branch per supported op. */
    private void convert() {
      switch (node.opType()) {
        case "Gemm" -> gemm();
        case "MatMul" -> {
          Tensor b = weight(1, "B", 2);
          addLinear(b.transposed(), null);
        }
        case "Add" -> add();
        case "Conv" -> conv();
        case "Relu" -> addLayer(new Relu());
        case "Flatten" -> flatten();
        case "Reshape" -> reshape();
        case "BatchNormalization" -> batchNorm();
        case "Sub" -> sub();
        case "Div" -> div();
        case "Identity" -> { }
        case "Dropout" -> dropout();
        default -> throw new IllegalStateException("op table misses " + node.opType());
      }
    }

    private void gemm() {
      if (intAttribute("transA", 0) != 0) {
        throw fail("transA = 1 is not supported");
      }
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
      addLinear(weight, bias);
    }

    private void addLinear(Tensor weight, Tensor bias) {
      if (!layout.flat()) {
        throw fail("needs flat input but gets " + layout + "; add a Flatten before it");
      }
      if (weight.dims()[1] != layout.size()) {
        throw fail("weight " + Arrays.toString(weight.dims()) + " (as [out, in]) does not fit "
            + layout);
      }
      addLayer(new Linear(array(weight), bias == null ? zeros(weight, weight.dims()[0])
          : array(bias)));
      lastBias = bias;
      linearTakesAdd = true;
    }

    /** {@code Add} of a constant right after a MatMul or Gemm: their bias. */
    private void add() {
      if (!linearTakesAdd) {
        throw fail("Add is supported only as the bias of a MatMul or Gemm right before it");
      }
      Linear linear = (Linear) layers.getLast();
      int position = constants.containsKey(node.inputs().get(0)) ? 0 : 1;
      Tensor c = biasOf(constant(position, "bias"), linear.outFeatures());
      Tensor bias = lastBias == null ? c : lastBias.combined(c, Double::sum);
      linear.bias().close();
      layers.set(layers.size() - 1, new Linear(linear.weight(), array(bias)));
      lastBias = bias;
      linearTakesAdd = false;
    }

    private void conv() {
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
      if (layout.flat()) {
        throw fail("needs [N, C, H, W] input but gets " + layout);
      }
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
      addLayer(conv);
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
          for (int side : new int[] {layout.height(), layout.width()}) {
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

    private void flatten() {
      long axis = intAttribute("axis", 1);
      int rank = layout.flat() ? 2 : 4;
      if (axis != 1 && axis != 1 - rank) {
        throw fail("axis " + axis + " is not supported (certkit flattens from axis 1)");
      }
      addLayer(new Flatten());
    }

    private void reshape() {
      Tensor shape = constant(1, "shape");
      if (shape.dataType() != OnnxModel.INT64) {
        throw fail("shape '" + shape.name() + "' is not int64");
      }
      long[] target = shape.longs();
      boolean flattens = target.length == 2 && target[0] >= -1 && target[0] <= 1
          && (target[1] == layout.size() || (target[1] == -1 && target[0] != -1));
      if (!flattens) {
        throw fail("Reshape to " + Arrays.toString(target) + " of " + layout + " is not a"
            + " flatten; certkit reads Reshape to [B, -1] or [B, " + layout.size() + "] with B"
            + " = 0 (keep), 1 or -1 (not both -1)");
      }
      addLayer(new Flatten());
    }

    private void batchNorm() {
      if (intAttribute("training_mode", 0) != 0 || intAttribute("spatial", 1) != 1
          || node.outputs().stream().filter(o -> !o.isEmpty()).count() != 1) {
        throw fail("only the inference form is supported (one output, training_mode 0,"
            + " spatial 1)");
      }
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
      addLayer(new BatchNorm(array(arrays[0], shape), array(arrays[1], shape),
          array(arrays[2], shape), array(arrays[3], shape), epsilon, momentum));
    }

    /** {@code Sub} of a constant at the input: the mean of a {@link Normalize}. */
    private void sub() {
      requireDataFirst();
      if (!layers.stream().allMatch(l -> l instanceof Flatten)) {
        throw fail("Sub is supported only as input normalisation, before any other layer");
      }
      float[] mean = channelValues(constant(1, "B"));
      float[] ones = new float[mean.length];
      Arrays.fill(ones, 1);
      addLayer(normalize(mean, ones));
      normalizeAwaitsDiv = true;
    }

    /** {@code Div} by a constant at the input (after a Sub or not): a {@link Normalize}. */
    private void div() {
      requireDataFirst();
      float[] std = channelValues(constant(1, "B"));
      if (normalizeAwaitsDiv) {
        Normalize sub = (Normalize) layers.removeLast();
        float[] mean = sub.mean();
        int n = Math.max(mean.length, std.length);
        layers.add(normalize(expand(mean, n), expand(std, n)));
        normalizeAwaitsDiv = false;
      } else if (layers.stream().allMatch(l -> l instanceof Flatten)) {
        addLayer(normalize(new float[std.length], std));
      } else {
        throw fail("Div is supported only as input normalisation, before any other layer");
      }
    }

    private Normalize normalize(float[] mean, float[] std) {
      try {
        return new Normalize(mean, std);
      } catch (IllegalArgumentException e) {
        throw fail(e.getMessage());
      }
    }

    private void dropout() {
      if (node.inputs().size() > 2 && !node.inputs().get(2).isEmpty()
          && constant(2, "training_mode").doubles()[0] != 0) {
        throw fail("training_mode is true; only inference (identity) is supported");
      }
    }

    private void addLayer(Layer layer) {
      layers.add(layer);
      layout = layout.after(layer);
      normalizeAwaitsDiv = false;
      linearTakesAdd = false;
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
      double[] values = c.doubles();
      if (Arrays.stream(values).distinct().count() == 1) {
        float[] out = new float[layout.flat() ? 1 : layout.channels()];
        Arrays.fill(out, (float) values[0]);
        return out;
      }
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

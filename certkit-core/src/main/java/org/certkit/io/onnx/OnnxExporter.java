package org.certkit.io.onnx;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.certkit.io.AtomicFiles;
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
 * Writes a certkit {@link Network} as an ONNX model (IR version 7, opset {@value #OPSET}) that
 * ONNX Runtime, PyTorch, verifiers and {@link OnnxImporter} read.
 *
 * <p>The graph input {@code input} is {@code [N, C, H, W]} float32 in [0, 1] pixel space (or
 * {@code [N, F]} for a flat network), the output {@code logits} is {@code [N, classes]}. Layer
 * {@code i} becomes: {@link Normalize} {@code Sub} and {@code Div} by {@code [1, C, 1, 1]}
 * constants; {@link Conv2d} {@code Conv}; {@link Linear} {@code Gemm} with {@code transB = 1};
 * {@link Relu} {@code Relu}; {@link Flatten} {@code Flatten} (axis 1); {@link BatchNorm}
 * {@code BatchNormalization} with its running statistics (inference form; ONNX's momentum is
 * {@code 1 - momentum}). Initializers carry the names of {@link Network#state()}, such as
 * {@code 1.weight}, with float32 data as raw little-endian bytes.
 */
public final class OnnxExporter {

  /** The ONNX operator set the files declare. */
  public static final int OPSET = 13;

  /** The ONNX value name of node {@code node}'s output (or of the input). */
  private static String valueName(int node, int nodes) {
    return node == Network.INPUT ? "input" : node == nodes - 1 ? "logits" : "h" + node;
  }

  private static final int IR_VERSION = 7;
  private static final int ATTRIBUTE_FLOAT = 1;
  private static final int ATTRIBUTE_INT = 2;
  private static final int ATTRIBUTE_INTS = 7;

  private OnnxExporter() {}

  /**
   * Writes {@code network} to {@code file} through a temporary file and a rename.
   *
   * @throws IllegalArgumentException naming the array when an array is not float32
   */
  public static void write(Network network, Path file) throws IOException {
    AtomicFiles.write(file, toBytes(network));
  }

  /**
   * The serialised {@code ModelProto} of {@code network}; the same network always gives the same
   * bytes.
   *
   * @throws IllegalArgumentException naming the array when an array is not float32
   */
  public static byte[] toBytes(Network network) {
    // Node i's output is "h<i>", the last one's "logits"; the network's input is "input".
    for (Map.Entry<String, NDArray> e : network.state().entrySet()) {
      if (e.getValue().getDataType() != DataType.FLOAT32) {
        throw new IllegalArgumentException("ONNX export writes float32 networks, but array "
            + e.getKey() + " is " + e.getValue().getDataType());
      }
    }
    List<ProtoWriter> nodes = new ArrayList<>();
    List<ProtoWriter> initializers = new ArrayList<>();
    TensorLayout inputLayout = TensorLayout.of(network.inputShape());
    ProtoWriter input = valueInfo("input", inputLayout);
    List<Layer> layers = network.layers();
    List<TensorLayout> layouts = new ArrayList<>();
    for (int i = 0; i < layers.size(); i++) {
      int[] read = network.inputs(i);
      String current = valueName(read[0], layers.size());
      TensorLayout layout = read[0] == Network.INPUT ? inputLayout : layouts.get(read[0]);
      String out = valueName(i, layers.size());
      String p = i + ".";
      switch (layers.get(i)) {
        case Normalize n -> {
          long[] dims = layout.flat() ? new long[] {1, n.mean().length}
              : new long[] {1, n.mean().length, 1, 1};
          initializers.add(tensor(p + "mean", dims, n.mean()));
          initializers.add(tensor(p + "std", dims, n.std()));
          nodes.add(node("Sub", i + "_Sub", List.of(current, p + "mean"), p + "centred"));
          nodes.add(node("Div", i + "_Div", List.of(p + "centred", p + "std"), out));
        }
        case Conv2d c -> {
          initializers.add(tensor(p + "weight", c.weight()));
          initializers.add(tensor(p + "bias", c.bias()));
          int k = c.kernelSize();
          int s = c.stride();
          int pad = c.padding();
          nodes.add(node("Conv", i + "_Conv", List.of(current, p + "weight", p + "bias"), out)
              .message(5, ints("kernel_shape", k, k))
              .message(5, ints("strides", s, s))
              .message(5, ints("pads", pad, pad, pad, pad))
              .message(5, ints("dilations", 1, 1))
              .message(5, intAttribute("group", 1)));
        }
        case Linear l -> {
          initializers.add(tensor(p + "weight", l.weight()));
          initializers.add(tensor(p + "bias", l.bias()));
          nodes.add(node("Gemm", i + "_Gemm", List.of(current, p + "weight", p + "bias"), out)
              .message(5, floatAttribute("alpha", 1))
              .message(5, floatAttribute("beta", 1))
              .message(5, intAttribute("transB", 1)));
        }
        case Relu r -> nodes.add(node("Relu", i + "_Relu", List.of(current), out));
        case Add a -> nodes.add(node("Add", i + "_Add",
            List.of(current, valueName(read[1], layers.size())), out));
        case AvgPool pool -> nodes.add(node("AveragePool", i + "_AveragePool", List.of(current),
            out).message(5, ints("kernel_shape", pool.kernel(), pool.kernel()))
            .message(5, ints("strides", pool.stride(), pool.stride()))
            .message(5, ints("pads", pool.padding(), pool.padding(), pool.padding(),
                pool.padding()))
            .message(5, intAttribute("count_include_pad", 1)));
        case MaxPool pool -> nodes.add(node("MaxPool", i + "_MaxPool", List.of(current), out)
            .message(5, ints("kernel_shape", pool.kernel(), pool.kernel()))
            .message(5, ints("strides", pool.stride(), pool.stride()))
            .message(5, ints("pads", pool.padding(), pool.padding(), pool.padding(),
                pool.padding())));
        case Sigmoid sg -> nodes.add(node("Sigmoid", i + "_Sigmoid", List.of(current), out));
        case Tanh t -> nodes.add(node("Tanh", i + "_Tanh", List.of(current), out));
        case Flatten f -> nodes.add(node("Flatten", i + "_Flatten", List.of(current), out)
            .message(5, intAttribute("axis", 1)));
        case BatchNorm b -> {
          initializers.add(tensor(p + "gamma", b.gamma()));
          initializers.add(tensor(p + "beta", b.beta()));
          initializers.add(tensor(p + "running_mean", b.runningMean()));
          initializers.add(tensor(p + "running_var", b.runningVar()));
          nodes.add(node("BatchNormalization", i + "_BatchNormalization", List.of(current,
                  p + "gamma", p + "beta", p + "running_mean", p + "running_var"), out)
              .message(5, floatAttribute("epsilon", b.epsilon()))
              .message(5, floatAttribute("momentum", OnnxImporter.onnxMomentum(b.momentum()))));
        }
      }
      layouts.add(layout.after(layers.get(i)));
    }
    ProtoWriter graph = new ProtoWriter();
    nodes.forEach(n -> graph.message(1, n));
    graph.string(2, network.architecture());
    initializers.forEach(t -> graph.message(5, t));
    graph.message(11, input).message(12, valueInfo("logits", layouts.getLast()));
    return new ProtoWriter()
        .varint(1, IR_VERSION)
        .string(2, "certkit")
        .message(8, new ProtoWriter().varint(2, OPSET))
        .message(7, graph)
        .toByteArray();
  }

  private static ProtoWriter node(String op, String name, List<String> inputs, String output) {
    ProtoWriter node = new ProtoWriter();
    inputs.forEach(in -> node.string(1, in));
    return node.string(2, output).string(3, name).string(4, op);
  }

  private static ProtoWriter intAttribute(String name, long value) {
    return new ProtoWriter().string(1, name).varint(3, value).varint(20, ATTRIBUTE_INT);
  }

  private static ProtoWriter floatAttribute(String name, float value) {
    return new ProtoWriter().string(1, name).float32(2, value).varint(20, ATTRIBUTE_FLOAT);
  }

  private static ProtoWriter ints(String name, long... values) {
    return new ProtoWriter().string(1, name).varints(8, values).varint(20, ATTRIBUTE_INTS);
  }

  private static ProtoWriter tensor(String name, NDArray array) {
    return tensor(name, array.getShape().getShape(), array.toFloatArray());
  }

  private static ProtoWriter tensor(String name, long[] dims, float[] values) {
    ByteBuffer data = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
    data.asFloatBuffer().put(values);
    return new ProtoWriter().varints(1, dims).varint(2, OnnxModel.FLOAT).string(8, name)
        .bytes(9, data.array());
  }

  /** A float32 tensor value {@code [N, ...layout]} with the batch axis named {@code N}. */
  private static ProtoWriter valueInfo(String name, TensorLayout layout) {
    ProtoWriter shape = new ProtoWriter().message(1, new ProtoWriter().string(2, "N"));
    for (long d : layout.dims()) {
      shape.message(1, new ProtoWriter().varint(1, d));
    }
    ProtoWriter tensorType = new ProtoWriter().varint(1, OnnxModel.FLOAT).message(2, shape);
    return new ProtoWriter().string(1, name).message(2, new ProtoWriter().message(1, tensorType));
  }
}

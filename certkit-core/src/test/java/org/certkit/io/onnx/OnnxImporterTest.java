package org.certkit.io.onnx;

import static org.certkit.io.onnx.HandBuiltOnnx.floatAttribute;
import static org.certkit.io.onnx.HandBuiltOnnx.intAttribute;
import static org.certkit.io.onnx.HandBuiltOnnx.intsAttribute;
import static org.certkit.io.onnx.HandBuiltOnnx.stringAttribute;
import static org.certkit.io.onnx.HandBuiltOnnx.tensorAttribute;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.onnxruntime.OrtException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.certkit.data.DatasetName;
import org.certkit.domain.Box;
import org.certkit.domain.ConcreteDomain;
import org.certkit.domain.IntervalDomain;
import org.certkit.io.ModelFile;
import org.certkit.net.Add;
import org.certkit.net.BatchNorm;
import org.certkit.net.BatchStatistics;
import org.certkit.net.Conv2d;
import org.certkit.net.Flatten;
import org.certkit.net.Layer;
import org.certkit.net.Linear;
import org.certkit.net.Network;
import org.certkit.net.Normalize;
import org.certkit.net.Relu;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The graph forms of PyTorch exports and VNN-COMP files that {@link OnnxExporter} never writes,
 * each built by {@link HandBuiltOnnx} and checked against ONNX Runtime (and, for the smallest,
 * against outputs computed by hand); and the errors for what certkit cannot read.
 */
class OnnxImporterTest {

  @TempDir Path dir;
  private NDManager manager;
  private final Random random = new Random(17);

  @BeforeEach
  void open() {
    manager = NDManager.newBaseManager();
    manager.getEngine().setRandomSeed(19);
  }

  @AfterEach
  void close() {
    manager.close();
  }

  /**
   * MatMul + Add (bias as either operand), Dropout with its mask output and Identity: two Linear
   * layers with the transposed MatMul weights, whose logits match a computation by hand.
   */
  @Test
  void matMulAddIsLinear() throws Exception {
    byte[] model = new HandBuiltOnnx()
        .input("x", -1, 3).output("y", -1, 2)
        .floats("W1", dims(3, 2), new float[] {1, -1, 0, 2, 1, 1}, false)
        .floats("b1", dims(2), new float[] {0.5f, -10}, false)
        .floats("W2", dims(2, 2), new float[] {1, 2, 3, 4}, true)
        .floats("b2", dims(2), new float[] {1, -1}, true)
        .node("MatMul", "mm1", List.of("x", "W1"), List.of("m1"))
        .node("Add", "add1", List.of("m1", "b1"), List.of("a1"))
        .node("Relu", "relu1", List.of("a1"), List.of("r1"))
        .node("Dropout", "drop", List.of("r1"), List.of("d1", "mask"))
        .node("Identity", "id", List.of("d1"), List.of("i1"))
        .node("MatMul", "mm2", List.of("i1", "W2"), List.of("m2"))
        .node("Add", "add2", List.of("b2", "m2"), List.of("y"))
        .build();
    try (Network net = read(model, "matmul.onnx")) {
      assertLayers(net, Linear.class, Relu.class, Linear.class);
      assertEquals(new Shape(3), net.inputShape());
      Linear first = (Linear) net.layers().getFirst();
      assertArrayEquals(new float[] {1, 0, 1, -1, 2, 1}, first.weight().toFloatArray());
      assertArrayEquals(new float[] {0.5f, -10}, first.bias().toFloatArray());
      // x = (1, 2, 3): x W1 + b1 = (4.5, -4), ReLU (4.5, 0), times W2 plus b2 = (5.5, 8).
      NDArray x = manager.create(new float[] {1, 2, 3}, new Shape(1, 3));
      assertArrayEquals(new float[] {5.5f, 8},
          ConcreteDomain.forward(net, x, BatchStatistics.evaluation()).toFloatArray());
      assertAgreesWithOnnxRuntime(net, model, new long[] {4, 3});
    }
  }

  /**
   * Reshape by a Constant node's shape ([-1, F], [0, -1], [1, -1] or [1, F]) after a Conv is
   * Flatten.
   */
  @Test
  void reshapeWithConstantShapeIsFlatten() throws Exception {
    for (long[] target : List.of(new long[] {-1, 32}, new long[] {0, -1}, new long[] {1, -1},
        new long[] {1, 32})) {
      byte[] model = new HandBuiltOnnx()
          .input("x", 1, 1, 4, 4).output("y", 1, 3)
          .floats("w", dims(2, 1, 3, 3), values(18), true)
          .floats("b", dims(2), values(2), true)
          .floats("W", dims(3, 32), values(96), false)
          .node("Conv", "conv", List.of("x", "w", "b"), List.of("c"),
              intsAttribute("kernel_shape", 3, 3), intsAttribute("pads", 1, 1, 1, 1),
              intsAttribute("strides", 1, 1))
          .node("Constant", "shape", List.of(), List.of("s"),
              tensorAttribute("value", HandBuiltOnnx.longTensor("s", dims(2), target)))
          .node("Reshape", "reshape", List.of("c", "s"), List.of("r"))
          .node("Gemm", "fc", List.of("r", "W"), List.of("y"), intAttribute("transB", 1))
          .build();
      try (Network net = read(model, "reshape.onnx")) {
        assertLayers(net, Conv2d.class, Flatten.class, Linear.class);
        assertEquals(1, ((Conv2d) net.layers().getFirst()).padding());
        assertAgreesWithOnnxRuntime(net, model, new long[] {1, 1, 4, 4});
      }
    }
  }

  /**
   * Sub and Div by per-channel constants of different but broadcast-equivalent shapes, by
   * scalars, and Div alone, at the input: one Normalize with exactly those values.
   */
  @Test
  void subDivAtTheInputIsNormalize() throws Exception {
    float[] mean = {0.4914f, 0.4822f, 0.4465f};
    float[] std = {0.2023f, 0.1994f, 0.2010f};
    byte[] perChannel = normalisedNet(3, dims(1, 3, 1, 1), mean, dims(3, 1, 1), std);
    try (Network net = read(perChannel, "per-channel.onnx")) {
      assertLayers(net, Normalize.class, Flatten.class, Linear.class);
      assertEquals(new Normalize(mean, std), net.layers().getFirst());
      assertAgreesWithOnnxRuntime(net, perChannel, new long[] {3, 3, 2, 2});
    }
    byte[] scalar = normalisedNet(1, dims(), new float[] {0.1307f}, dims(1),
        new float[] {0.3081f});
    try (Network net = read(scalar, "scalar.onnx")) {
      assertEquals(new Normalize(new float[] {0.1307f}, new float[] {0.3081f}),
          net.layers().getFirst());
      assertAgreesWithOnnxRuntime(net, scalar, new long[] {3, 1, 2, 2});
    }
    byte[] divOnly = normalisedNet(3, null, null, dims(1, 3, 1, 1), std);
    try (Network net = read(divOnly, "div.onnx")) {
      assertEquals(new Normalize(new float[3], std), net.layers().getFirst());
      assertAgreesWithOnnxRuntime(net, divOnly, new long[] {3, 3, 2, 2});
    }
  }

  /** float64 weights (raw_data and double_data) stay float64 and match ONNX Runtime in float64. */
  @Test
  void float64WeightsStayFloat64() throws Exception {
    double[] w = new double[12];
    double[] b = new double[3];
    for (int k = 0; k < w.length; k++) {
      w[k] = random.nextGaussian() + 1e-12 * k;
    }
    for (int k = 0; k < b.length; k++) {
      b[k] = random.nextGaussian();
    }
    byte[] model = new HandBuiltOnnx(11)
        .input("x", -1, 4).output("y", -1, 3)
        .doubles("W", dims(4, 3), w, true)
        .doubles("b", dims(3), b, false)
        .node("MatMul", "mm", List.of("x", "W"), List.of("m"))
        .node("Add", "add", List.of("m", "b"), List.of("y"))
        .build();
    try (Network net = read(model, "double.onnx")) {
      Linear linear = assertInstanceOf(Linear.class, net.layers().getFirst());
      assertEquals(DataType.FLOAT64, linear.weight().getDataType());
      assertEquals(DataType.FLOAT64, linear.bias().getDataType());
      assertArrayEquals(b, linear.bias().toDoubleArray());
      NDArray x = manager.randomUniform(0, 1, new Shape(5, 4), DataType.FLOAT64);
      double[] ours = ConcreteDomain.forward(net, x, BatchStatistics.evaluation())
          .toDoubleArray();
      double[] theirs = OrtRunner.run(model, x.toDoubleArray(), 5, 4);
      for (int k = 0; k < ours.length; k++) {
        assertEquals(theirs[k], ours[k], 1e-12 * Math.max(1, Math.abs(theirs[k])), "logit " + k);
      }
    }
  }

  /** The same weights in raw_data and in float_data give bit-identical networks. */
  @Test
  void rawDataAndFloatDataReadAlike() throws IOException {
    float[] w = values(12);
    float[] b = values(3);
    List<Network> nets = new ArrayList<>();
    for (boolean raw : new boolean[] {true, false}) {
      byte[] model = new HandBuiltOnnx()
          .input("x", -1, 4).output("y", -1, 3)
          .floats("W", dims(3, 4), w, raw).floats("b", dims(3), b, raw)
          .node("Gemm", "fc", List.of("x", "W", "b"), List.of("y"), intAttribute("transB", 1))
          .build();
      nets.add(read(model, "raw-" + raw + ".onnx"));
    }
    Linear a = (Linear) nets.get(0).layers().getFirst();
    Linear c = (Linear) nets.get(1).layers().getFirst();
    assertArrayEquals(a.weight().toByteArray(), c.weight().toByteArray());
    assertArrayEquals(a.bias().toByteArray(), c.bias().toByteArray());
    assertArrayEquals(w, a.weight().toFloatArray());
    nets.forEach(Network::close);
  }

  /** Gemm with transB = 0, alpha, beta and a [1, out] C folds into one Linear. */
  @Test
  void gemmFoldsAlphaBetaAndTransposition() throws Exception {
    byte[] model = new HandBuiltOnnx()
        .input("x", -1, 5).output("y", -1, 3)
        .floats("B", dims(5, 3), values(15), true)
        .floats("C", dims(1, 3), values(3), true)
        .node("Gemm", "fc", List.of("x", "B", "C"), List.of("y"), floatAttribute("alpha", 0.5f),
            floatAttribute("beta", 2f), intAttribute("transB", 0))
        .build();
    try (Network net = read(model, "gemm.onnx")) {
      assertLayers(net, Linear.class);
      assertEquals(new Shape(3, 5), ((Linear) net.layers().getFirst()).weight().getShape());
      assertAgreesWithOnnxRuntime(net, model, new long[] {4, 5});
    }
  }

  /**
   * A flat input ([N, F], or VNN-COMP's [1, 1, 1, F]) read for image data of F pixels starts with
   * a Flatten and takes the images' shape; without image shape it takes F features. Scalar Sub
   * and Div on the flat input are a one-value Normalize; the Flatten node of the already flat
   * values is no layer.
   */
  @Test
  void flatInputOnImageData() throws Exception {
    Shape image = new Shape(1, 4, 4);
    for (long[] inputDims : List.of(new long[] {-1, 16}, new long[] {1, 1, 1, 16})) {
      byte[] model = new HandBuiltOnnx()
          .input("x", inputDims).output("y", 1, 3)
          .floats("m", dims(1), new float[] {0.25f}, true)
          .floats("s", dims(), new float[] {0.5f}, false)
          .floats("W", dims(16, 3), values(48), true)
          .floats("b", dims(3), values(3), true)
          .node("Sub", "sub", List.of("x", "m"), List.of("c"))
          .node("Div", "div", List.of("c", "s"), List.of("n"))
          .node("Flatten", "flat", List.of("n"), List.of("f"))
          .node("MatMul", "mm", List.of("f", "W"), List.of("h"))
          .node("Add", "add", List.of("h", "b"), List.of("y"))
          .build();
      Path file = write(model, "flat.onnx");
      try (Network net = OnnxImporter.read(file, manager)) {
        assertEquals(new Shape(16), net.inputShape());
        assertLayers(net, Normalize.class, Linear.class);
      }
      try (Network net = OnnxImporter.read(file, image, manager)) {
        assertEquals(image, net.inputShape());
        assertLayers(net, Flatten.class, Normalize.class, Linear.class);
        assertEquals(new Normalize(new float[] {0.25f}, new float[] {0.5f}), net.layers().get(1));
        NDArray x = manager.randomUniform(0, 1, new Shape(1, 1, 4, 4), DataType.FLOAT32);
        long[] ortShape = inputDims.clone();
        ortShape[0] = 1;
        OnnxRuntimeTest.assertClose(OrtRunner.run(model, x.toFloatArray(), ortShape),
            ConcreteDomain.forward(net, x, BatchStatistics.evaluation()).toFloatArray(), 1e-5,
            Arrays.toString(inputDims));
      }
    }
  }

  /**
   * PyTorch's BatchNormalization (momentum 0.9 = certkit's 0.1, epsilon 1e-3) after a Conv
   * without bias padded by auto_pad SAME_UPPER.
   */
  @Test
  void batchNormAndSamePaddingAsPyTorchWritesThem() throws Exception {
    byte[] model = new HandBuiltOnnx()
        .input("x", -1, 2, 5, 5).output("y", -1, 2)
        .floats("w", dims(3, 2, 3, 3), values(54), true)
        .floats("gamma", dims(3), new float[] {1.5f, -0.5f, 2}, true)
        .floats("beta", dims(3), new float[] {0.1f, 0.2f, -0.3f}, true)
        .floats("mean", dims(3), new float[] {0.3f, -0.2f, 0.1f}, true)
        .floats("var", dims(3), new float[] {0.5f, 2, 1.25f}, true)
        .floats("W", dims(2, 75), values(150), true)
        .floats("b", dims(2), values(2), true)
        .node("Conv", "conv", List.of("x", "w"), List.of("c"),
            stringAttribute("auto_pad", "SAME_UPPER"), intsAttribute("kernel_shape", 3, 3))
        .node("BatchNormalization", "bn", List.of("c", "gamma", "beta", "mean", "var"),
            List.of("n"), floatAttribute("epsilon", 1e-3f), floatAttribute("momentum", 0.9f))
        .node("Relu", "relu", List.of("n"), List.of("r"))
        .node("Flatten", "flat", List.of("r"), List.of("f"), intAttribute("axis", 1))
        .node("Gemm", "fc", List.of("f", "W", "b"), List.of("y"), intAttribute("transB", 1))
        .build();
    try (Network net = read(model, "bn.onnx")) {
      assertLayers(net, Conv2d.class, BatchNorm.class, Relu.class, Flatten.class, Linear.class);
      Conv2d conv = (Conv2d) net.layers().getFirst();
      assertEquals(1, conv.padding());
      assertArrayEquals(new float[3], conv.bias().toFloatArray());
      BatchNorm bn = (BatchNorm) net.layers().get(1);
      assertEquals(1e-3f, bn.epsilon());
      assertEquals(0.1f, bn.momentum());
      assertArrayEquals(new float[] {0.5f, 2, 1.25f}, bn.runningVar().toFloatArray());
      assertAgreesWithOnnxRuntime(net, model, new long[] {3, 2, 5, 5});
    }
  }

  /** An op outside the table is named with its node, the file and the supported ops. */
  @Test
  void unsupportedOpIsNamed() throws IOException {
    byte[] model = new HandBuiltOnnx()
        .input("x", -1, 4).output("y", -1, 3)
        .floats("W", dims(3, 4), values(12), true)
        .node("Gemm", "fc", List.of("x", "W"), List.of("h"), intAttribute("transB", 1))
        .node("Softmax", "probabilities", List.of("h"), List.of("y"))
        .build();
    Path file = write(model, "softmax.onnx");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> OnnxImporter.read(file, manager));
    assertMessageHas(e, file.toString(), "Softmax", "'probabilities'", "Gemm", "MatMul",
        "BatchNormalization", "Conv");
  }

  /**
   * A skip connection (a value read by a Relu and by the Add after it) gives a node per layer
   * reading the nodes of its ONNX inputs, and ONNX Runtime's outputs.
   */
  @Test
  void skipConnectionReadsTheNodesOfItsInputs() throws Exception {
    byte[] model = new HandBuiltOnnx()
        .input("x", -1, 4).output("y", -1, 4)
        .floats("W", dims(4, 4), values(16), true)
        .node("Gemm", "fc", List.of("x", "W"), List.of("h"), intAttribute("transB", 1))
        .node("Relu", "relu", List.of("h"), List.of("r"))
        .node("Add", "residual", List.of("r", "h"), List.of("y"))
        .build();
    try (Network net = read(model, "residual.onnx")) {
      assertLayers(net, Linear.class, Relu.class, Add.class);
      assertEdges(net, new int[] {Network.INPUT}, new int[] {0}, new int[] {1, 0});
      assertAgreesWithOnnxRuntime(net, model, new long[] {5, 4});
    }
  }

  /** A node the output does not depend on (here a second ReLU of a shared value) is dropped. */
  @Test
  void nodesTheOutputDoesNotReadAreDropped() throws Exception {
    byte[] model = new HandBuiltOnnx()
        .input("x", -1, 4).output("y", -1, 4)
        .floats("W", dims(4, 4), values(16), true)
        .node("Gemm", "fc", List.of("x", "W"), List.of("h"), intAttribute("transB", 1))
        .node("Relu", "unused", List.of("h"), List.of("u"))
        .node("Relu", "relu", List.of("h"), List.of("y"))
        .build();
    try (Network net = read(model, "unused.onnx")) {
      assertLayers(net, Linear.class, Relu.class);
      assertEdges(net, new int[] {Network.INPUT}, new int[] {0});
      assertAgreesWithOnnxRuntime(net, model, new long[] {3, 4});
    }
  }

  /**
   * An Add of two Gemm branches from the same input (one a MatMul whose bias is an Add of a
   * constant, which stays its bias), then ReLU and Gemm: the edges of the ONNX graph, ONNX
   * Runtime's outputs on random inputs, and IBP bounds (outward rounding) that hold ONNX Runtime's
   * outputs on points sampled from the input ball.
   */
  @Test
  void addOfTwoGemmBranchesMatchesOnnxRuntimeAndItsBounds() throws Exception {
    byte[] model = twoBranches();
    try (Network net = read(model, "branches.onnx")) {
      assertLayers(net, Linear.class, Linear.class, Add.class, Relu.class, Linear.class);
      assertEdges(net, new int[] {Network.INPUT}, new int[] {Network.INPUT}, new int[] {0, 1},
          new int[] {2}, new int[] {3});
      assertEquals(3, net.numClasses());
      assertAgreesWithOnnxRuntime(net, model, new long[] {16, 6});

      // Centre and radius multiples of 2^-8, so that the ball's corners are float32 and the
      // float32 samples lower + u (upper - lower), rounded monotonically, stay inside it.
      int samples = 256;
      double eps = 8 / 256.0;
      float[] centre = new float[6];
      for (int k = 0; k < centre.length; k++) {
        centre[k] = random.nextInt(257) / 256f;
      }
      NDArray x = manager.create(centre, new Shape(1, 6)).toType(DataType.FLOAT64, false);
      Box ball = Box.linfBall(x, eps);
      Box bounds = new IntervalDomain(IntervalDomain.Rounding.OUTWARD)
          .propagate(net, ball, BatchStatistics.evaluation());
      NDArray low = ball.lower().toType(DataType.FLOAT32, false);
      NDArray width = ball.upper().toType(DataType.FLOAT32, false).sub(low);
      NDArray u = manager.randomUniform(0, 1, new Shape(samples, 6), DataType.FLOAT32);
      NDArray points = low.add(u.mul(width));
      float[] outputs = OrtRunner.run(model, points.toFloatArray(), samples, 6);
      double[] lower = bounds.lower().toDoubleArray();
      double[] upper = bounds.upper().toDoubleArray();
      for (int k = 0; k < outputs.length; k++) {
        int j = k % 3;
        assertTrue(lower[j] <= outputs[k] && outputs[k] <= upper[j], "sample " + k / 3
            + ", output " + j + ": " + outputs[k] + " outside [" + lower[j] + ", " + upper[j]
            + "]");
      }
    }
  }

  /**
   * VNN-COMP's [1, 784, 1] input, with Squeeze, Unsqueeze (axes as inputs at opset 13, as
   * attributes at opset 11), Reshape and Flatten that only drop or add unit axes: no layers but
   * the two Linear and the ReLU, ONNX Runtime's outputs, and a leading Flatten on MNIST images.
   */
  @Test
  void unitAxesOfAColumnInputAreNoLayers() throws Exception {
    for (long opset : new long[] {13, 11}) {
      HandBuiltOnnx b = new HandBuiltOnnx()
          .input("x", 1, 784, 1).output("y", 1, 10)
          .floats("W1", dims(16, 784), scaled(values(16 * 784), 1 / 28f), true)
          .floats("b1", dims(16), values(16), true)
          .floats("W2", dims(10, 16), values(160), true)
          .longs("flat", dims(2), new long[] {1, -1});
      if (opset >= 13) {
        b.longs("last", dims(1), new long[] {2}).longs("middle", dims(1), new long[] {1})
            .node("Squeeze", "squeeze", List.of("x", "last"), List.of("s"))
            .node("Gemm", "fc1", List.of("s", "W1", "b1"), List.of("h"),
                intAttribute("transB", 1))
            .node("Relu", "relu", List.of("h"), List.of("r"))
            .node("Unsqueeze", "unsqueeze", List.of("r", "middle"), List.of("u"))
            .node("Reshape", "reshape", List.of("u", "flat"), List.of("f"));
      } else {
        b.node("Squeeze", "squeeze", List.of("x"), List.of("s"), intsAttribute("axes", -1))
            .node("Gemm", "fc1", List.of("s", "W1", "b1"), List.of("h"),
                intAttribute("transB", 1))
            .node("Relu", "relu", List.of("h"), List.of("r"))
            .node("Unsqueeze", "unsqueeze", List.of("r"), List.of("u"), intsAttribute("axes", 2))
            .node("Flatten", "flatten", List.of("u"), List.of("f"));
      }
      byte[] model = b.node("Gemm", "fc2", List.of("f", "W2"), List.of("y"),
          intAttribute("transB", 1)).build(opset);
      Path file = write(model, "column-" + opset + ".onnx");
      try (Network net = OnnxImporter.read(file, manager)) {
        assertEquals(new Shape(784), net.inputShape());
        assertLayers(net, Linear.class, Relu.class, Linear.class);
        assertAgreesWithOnnxRuntime(net, model, new long[] {1, 784, 1});
      }
      Shape mnist = DatasetName.MNIST.inputFormat().shape();
      try (Network net = OnnxImporter.read(file, mnist, manager)) {
        assertEquals(mnist, net.inputShape());
        assertLayers(net, Flatten.class, Linear.class, Relu.class, Linear.class);
        assertAgreesWithOnnxRuntime(net, model, new long[] {1, 784, 1});
      }
    }
  }

  /**
   * Unsqueeze and Squeeze of an image keep it an image (no layer), a Reshape of it to
   * [1, 1, F] is a Flatten: ONNX Runtime's outputs.
   */
  @Test
  void unitAxesOfAnImageAreTracked() throws Exception {
    byte[] model = new HandBuiltOnnx()
        .input("x", 1, 2, 4, 4).output("y", 1, 3)
        .floats("w", dims(2, 2, 3, 3), values(36), true)
        .floats("W", dims(3, 32), values(96), true)
        .longs("front", dims(1), new long[] {1})
        .longs("row", dims(3), new long[] {1, 1, -1})
        .node("Unsqueeze", "unsqueeze", List.of("x", "front"), List.of("u"))
        .node("Squeeze", "squeeze", List.of("u", "front"), List.of("s"))
        .node("Conv", "conv", List.of("s", "w"), List.of("c"), intsAttribute("pads", 1, 1, 1, 1))
        .node("Reshape", "reshape", List.of("c", "row"), List.of("f"))
        .node("Squeeze", "squeeze_row", List.of("f", "front"), List.of("g"))
        .node("Gemm", "fc", List.of("g", "W"), List.of("y"), intAttribute("transB", 1))
        .build();
    try (Network net = read(model, "image-axes.onnx")) {
      assertLayers(net, Conv2d.class, Flatten.class, Linear.class);
      assertAgreesWithOnnxRuntime(net, model, new long[] {1, 2, 4, 4});
    }
  }

  /**
   * A model ending in Gemm and Relu reads with a ReLU as its last layer and ONNX Runtime's
   * outputs; it has no logits, so loading it for a data set's classes fails naming the file.
   */
  @Test
  void finalReluIsReadButGivesNoLogits() throws Exception {
    byte[] model = new HandBuiltOnnx()
        .input("x", -1, 784).output("y", -1, 10)
        .floats("W1", dims(8, 784), scaled(values(8 * 784), 1 / 28f), true)
        .floats("W2", dims(10, 8), values(80), true)
        .node("Gemm", "fc1", List.of("x", "W1"), List.of("h"), intAttribute("transB", 1))
        .node("Relu", "relu1", List.of("h"), List.of("r"))
        .node("Gemm", "fc2", List.of("r", "W2"), List.of("z"), intAttribute("transB", 1))
        .node("Relu", "relu2", List.of("z"), List.of("y"))
        .build();
    Path file = write(model, "final-relu.onnx");
    try (Network net = OnnxImporter.read(file, manager)) {
      assertLayers(net, Linear.class, Relu.class, Linear.class, Relu.class);
      assertAgreesWithOnnxRuntime(net, model, new long[] {4, 784});
      assertThrows(IllegalStateException.class, net::numClasses);
    }
    assertMessageHas(assertThrows(IllegalArgumentException.class,
        () -> ModelFile.load(file, DatasetName.MNIST.inputFormat(), manager)), file.toString(),
        "does not end in logits", "ReLU");
  }

  /**
   * Graphs certkit cannot read (a Mul or Concat of two computed values, a Sub of two, an Add of
   * a constant that is no bias, a Squeeze of the batch axis) are refused naming the node, its op
   * and the file.
   */
  @Test
  void graphsCertkitCannotReadAreNamed() throws IOException {
    record Variant(String op, List<String> in, byte[][] attributes, String reason) {}
    List<Variant> variants = List.of(
        new Variant("Mul", List.of("h", "r"), new byte[0][], "unsupported op Mul"),
        new Variant("Concat", List.of("h", "r"), new byte[][] {intAttribute("axis", 1)},
            "unsupported op Concat"),
        new Variant("Sub", List.of("h", "r"), new byte[0][], "computed tensors"),
        new Variant("Add", List.of("r", "c"), new byte[0][], "bias of a MatMul or Gemm"),
        new Variant("Squeeze", List.of("r"), new byte[][] {intsAttribute("axes", 0)},
            "batch axis"));
    for (Variant v : variants) {
      byte[] model = new HandBuiltOnnx()
          .input("x", -1, 4).output("y", -1, 4)
          .floats("W", dims(4, 4), values(16), true)
          .floats("c", dims(4), values(4), true)
          .node("Gemm", "fc", List.of("x", "W"), List.of("h"), intAttribute("transB", 1))
          .node("Relu", "relu", List.of("h"), List.of("r"))
          .node(v.op(), "join", v.in(), List.of("y"), v.attributes())
          .build(11);
      Path file = write(model, v.op() + ".onnx");
      assertMessageHas(assertThrows(IllegalArgumentException.class,
          () -> OnnxImporter.read(file, manager), v.reason()), file.toString(), "'join'",
          "(" + v.op() + ")", v.reason());
    }
  }

  /** Convolutions certkit's Conv2d cannot express are named with the reason. */
  @Test
  void convolutionsConv2dCannotExpressAreNamed() throws IOException {
    record Variant(long[] weightDims, byte[][] attributes, String reason) {}
    List<Variant> variants = List.of(
        new Variant(dims(2, 1, 3, 2), new byte[0][], "square"),
        new Variant(dims(2, 1, 3, 3), new byte[][] {intsAttribute("pads", 1, 1, 0, 0)},
            "symmetric"),
        new Variant(dims(2, 1, 3, 3), new byte[][] {intsAttribute("strides", 1, 2)}, "strides"),
        new Variant(dims(2, 1, 3, 3), new byte[][] {intsAttribute("dilations", 2, 2)},
            "dilations"),
        new Variant(dims(2, 1, 3, 3), new byte[][] {intAttribute("group", 2)}, "group"));
    for (Variant v : variants) {
      int count = (int) Arrays.stream(v.weightDims()).reduce(1, (a, b) -> a * b);
      byte[] model = new HandBuiltOnnx()
          .input("x", -1, 1, 6, 6).output("y", -1, 2, 4, 4)
          .floats("w", v.weightDims(), values(count), true)
          .node("Conv", "odd_conv", List.of("x", "w"), List.of("y"), v.attributes())
          .build();
      Path file = write(model, "conv.onnx");
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> OnnxImporter.read(file, manager), v.reason());
      assertMessageHas(e, file.toString(), "'odd_conv'", "Conv", v.reason());
    }
  }

  /** A Reshape that is not a flatten, and an opset older than 7, are refused with the reason. */
  @Test
  void otherUnsupportedFormsAreNamed() throws IOException {
    byte[] reshape = new HandBuiltOnnx()
        .input("x", -1, 16).output("y", -1, 2, 8)
        .longs("s", dims(3), new long[] {-1, 2, 8})
        .node("Reshape", "unflatten", List.of("x", "s"), List.of("y"))
        .build();
    Path file = write(reshape, "unflatten.onnx");
    assertMessageHas(assertThrows(IllegalArgumentException.class,
        () -> OnnxImporter.read(file, manager)), file.toString(), "'unflatten'", "not a flatten");
    byte[] old = new HandBuiltOnnx()
        .input("x", -1, 4).output("y", -1, 4)
        .node("Relu", "relu", List.of("x"), List.of("y"))
        .build(6);
    Path oldFile = write(old, "old.onnx");
    assertMessageHas(assertThrows(IllegalArgumentException.class,
        () -> OnnxImporter.read(oldFile, manager)), oldFile.toString(), "opset 6");
  }

  /** Truncated, random and empty files give an IOException naming the file. */
  @Test
  void truncatedOrCorruptFileNamesTheFile() throws IOException {
    byte[] all;
    try (Network net = ExportCases.build(ExportCases.cases().get(2), manager, 1)) {
      all = OnnxExporter.toBytes(net);
    }
    List<String> failures = new ArrayList<>();
    for (int cut : new int[] {0, 1, 2, 5, 20, all.length / 3, all.length / 2, all.length - 20,
        all.length - 1}) {
      Path file = write(Arrays.copyOf(all, cut), "cut-" + cut + ".onnx");
      try {
        OnnxImporter.read(file, manager).close();
        failures.add("cut at " + cut + " of " + all.length + ": read without error");
      } catch (IOException e) {
        if (e.getMessage() == null || !e.getMessage().contains(file.toString())) {
          failures.add("cut at " + cut + ": message does not name the file: " + e);
        }
      } catch (RuntimeException e) {
        failures.add("cut at " + cut + ": " + e);
      }
    }
    assertTrue(failures.isEmpty(), String.join("\n", failures));
    byte[] junk = new byte[4096];
    random.nextBytes(junk);
    Path garbage = write(junk, "garbage.onnx");
    IOException e = assertThrows(IOException.class, () -> OnnxImporter.read(garbage, manager));
    assertMessageHas(e, garbage.toString());
    Path missing = dir.resolve("missing.onnx");
    assertEquals(missing.toString(), assertThrows(NoSuchFileException.class,
        () -> OnnxImporter.read(missing, manager)).getFile());
  }

  /** An input that does not fit the data's image shape is refused naming both shapes. */
  @Test
  void inputThatDoesNotFitTheDataIsRefused() throws IOException {
    Shape mnist = DatasetName.MNIST.inputFormat().shape();
    Path cifar = dir.resolve("cifar.onnx");
    try (Network net = ExportCases.build(ExportCases.cases().get(1), manager, 1)) {
      OnnxExporter.write(net, cifar);
    }
    assertMessageHas(assertThrows(IllegalArgumentException.class,
        () -> OnnxImporter.read(cifar, mnist, manager)), cifar.toString(), "3x32x32", "1x28x28");
    byte[] flat = new HandBuiltOnnx()
        .input("x", -1, 16).output("y", -1, 16)
        .node("Relu", "relu", List.of("x"), List.of("y"))
        .build();
    Path file = write(flat, "flat16.onnx");
    assertMessageHas(assertThrows(IllegalArgumentException.class,
        () -> OnnxImporter.read(file, mnist, manager)), file.toString(), "16 features", "784");
  }

  /** A net normalising {@code channels}-channel 2x2 images, then Flatten and Gemm to 2 logits. */
  private byte[] normalisedNet(int channels, long[] meanDims, float[] mean, long[] stdDims,
      float[] std) {
    HandBuiltOnnx b = new HandBuiltOnnx()
        .input("x", -1, channels, 2, 2).output("y", -1, 2)
        .floats("std", stdDims, std, false)
        .floats("W", dims(2, 4L * channels), values(8 * channels), true);
    String centred = "x";
    if (mean != null) {
      b.floats("mean", meanDims, mean, true)
          .node("Sub", "sub", List.of("x", "mean"), List.of("c"));
      centred = "c";
    }
    return b.node("Div", "div", List.of(centred, "std"), List.of("n"))
        .node("Flatten", "flat", List.of("n"), List.of("f"))
        .node("Gemm", "fc", List.of("f", "W"), List.of("y"), intAttribute("transB", 1))
        .build();
  }

  /**
   * An Add of two branches of 6 inputs: Gemm, and MatMul with an Add of a constant; then ReLU and
   * a Gemm to 3 outputs.
   */
  private byte[] twoBranches() {
    return new HandBuiltOnnx()
        .input("x", -1, 6).output("y", -1, 3)
        .floats("Wa", dims(5, 6), values(30), true)
        .floats("ba", dims(5), values(5), true)
        .floats("Wb", dims(6, 5), values(30), false)
        .floats("bb", dims(5), values(5), false)
        .floats("Wc", dims(3, 5), values(15), true)
        .floats("bc", dims(3), values(3), true)
        .node("Gemm", "branch_a", List.of("x", "Wa", "ba"), List.of("a"),
            intAttribute("transB", 1))
        .node("MatMul", "branch_b", List.of("x", "Wb"), List.of("m"))
        .node("Add", "branch_b_bias", List.of("m", "bb"), List.of("b"))
        .node("Add", "join", List.of("a", "b"), List.of("s"))
        .node("Relu", "relu", List.of("s"), List.of("r"))
        .node("Gemm", "head", List.of("r", "Wc", "bc"), List.of("y"), intAttribute("transB", 1))
        .build();
  }

  /**
   * certkit's outputs on uniform inputs of the network's input shape with a batch of
   * {@code ortShape[0]} match ONNX Runtime's on the same values as {@code ortShape}, to 1e-5.
   */
  private void assertAgreesWithOnnxRuntime(Network net, byte[] model, long[] ortShape)
      throws OrtException {
    long[] dims = new long[net.inputShape().dimension() + 1];
    dims[0] = ortShape[0];
    System.arraycopy(net.inputShape().getShape(), 0, dims, 1, dims.length - 1);
    NDArray x = manager.randomUniform(0, 1, new Shape(dims), DataType.FLOAT32);
    OnnxRuntimeTest.assertClose(OrtRunner.run(model, x.toFloatArray(), ortShape),
        ConcreteDomain.forward(net, x, BatchStatistics.evaluation()).toFloatArray(), 1e-5,
        net.summary());
  }

  private static void assertEdges(Network net, int[]... inputs) {
    assertEquals(inputs.length, net.layers().size(), net.summary());
    for (int i = 0; i < inputs.length; i++) {
      assertArrayEquals(inputs[i], net.inputs(i), "inputs of node " + i + " in " + net.summary());
    }
  }

  @SafeVarargs
  private static void assertLayers(Network net, Class<? extends Layer>... types) {
    assertEquals(List.of(types), net.layers().stream().map(Object::getClass).toList(),
        net.summary());
  }

  private static void assertMessageHas(Exception e, String... parts) {
    for (String part : parts) {
      assertTrue(e.getMessage() != null && e.getMessage().contains(part),
          "message should contain " + part + ": " + e.getMessage());
    }
  }

  private Network read(byte[] model, String name) throws IOException {
    return OnnxImporter.read(write(model, name), manager);
  }

  private Path write(byte[] bytes, String name) throws IOException {
    return Files.write(dir.resolve(name), bytes);
  }

  private float[] values(int n) {
    float[] out = new float[n];
    for (int k = 0; k < n; k++) {
      out[k] = (float) random.nextGaussian();
    }
    return out;
  }

  /** {@code values} times {@code factor}, as the weights of a layer of that fan-in scale. */
  private static float[] scaled(float[] values, float factor) {
    for (int k = 0; k < values.length; k++) {
      values[k] *= factor;
    }
    return values;
  }

  private static long[] dims(long... dims) {
    return dims;
  }
}

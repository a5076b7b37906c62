package org.certkit.io.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.onnxruntime.OrtException;
import java.util.List;
import org.certkit.domain.ConcreteDomain;
import org.certkit.net.BatchStatistics;
import org.certkit.net.Network;
import org.certkit.testing.EngineTest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * ONNX Runtime, an independent implementation, computes the same logits from the exported files
 * as certkit's forward pass: the exporter writes valid ONNX with the meaning certkit gives it.
 */
class OnnxRuntimeTest extends EngineTest {

  @BeforeEach
  void seed() {
    manager.getEngine().setRandomSeed(13);
  }

    static List<ExportCases.Case> cases() {
    return ExportCases.cases();
  }

  /** Logits of ONNX Runtime and of {@link ConcreteDomain} agree to 1e-5 (relative to 1). */
  @ParameterizedTest
  @MethodSource("cases")
  void onnxRuntimeAgreesWithTheForwardPass(ExportCases.Case c) throws OrtException {
    try (Network net = ExportCases.build(c, manager, 11)) {
      assertOrtAgrees(net, ExportCases.inputs(manager, net, 6, DataType.FLOAT32), c.name());
    }
  }

  /**
   * A graph network, {@code resnet2b} (two residual blocks, each input feeding an {@code Add}),
   * exports to ONNX that ONNX Runtime evaluates to certkit's logits.
   */
  @org.junit.jupiter.api.Test
  void onnxRuntimeAgreesOnAResidualNetwork() throws OrtException {
    try (Network net = ExportCases.build(ExportCases.residual(), manager, 12)) {
      assertTrue(!net.isChain(), "resnet2b must be a graph");
      assertOrtAgrees(net, ExportCases.inputs(manager, net, 4, DataType.FLOAT32), "resnet2b");
    }
  }

  /**
   * Sigmoid, Tanh, average pooling (zero padding counted) and max pooling (padding never wins)
   * export to the ONNX ops of the same meaning: ONNX Runtime agrees with certkit.
   */
  @org.junit.jupiter.api.Test
  void onnxRuntimeAgreesOnPoolingAndSmoothActivations() throws OrtException {
    try (Network net = org.certkit.net.TinyNetworks.smooth(manager, 14)) {
      assertOrtAgrees(net, ExportCases.inputs(manager, net, 4, DataType.FLOAT32), "smooth");
    }
  }

  /** ONNX Runtime on the exported {@code net} gives certkit's logits on {@code x} to 1e-5. */
  private static void assertOrtAgrees(Network net, NDArray x, String what) throws OrtException {
    float[] expected = ConcreteDomain.forward(net, x, BatchStatistics.evaluation())
        .toFloatArray();
    float[] actual = OrtRunner.run(OnnxExporter.toBytes(net), x.toFloatArray(),
        x.getShape().getShape());
    assertClose(expected, actual, 1e-5, what);
  }

  /** Elementwise {@code |a - b| <= tolerance * max(1, |a|)}, with the worst index reported. */
  static void assertClose(float[] expected, float[] actual, double tolerance, String what) {
    assertEquals(expected.length, actual.length, what + ": output count");
    double worst = 0;
    int at = -1;
    for (int k = 0; k < expected.length; k++) {
      double error = Math.abs(expected[k] - actual[k]) / Math.max(1, Math.abs(expected[k]));
      if (!(error <= worst)) {
        worst = error;
        at = k;
      }
    }
    double w = worst;
    int i = at;
    assertTrue(worst <= tolerance, () -> what + ": relative error " + w + " at " + i + " ("
        + expected[i] + " vs " + actual[i] + ")");
  }
}

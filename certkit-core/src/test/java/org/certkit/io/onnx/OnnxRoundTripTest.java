package org.certkit.io.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.certkit.domain.ConcreteDomain;
import org.certkit.net.BatchNorm;
import org.certkit.net.BatchStatistics;
import org.certkit.net.Conv2d;
import org.certkit.net.Layer;
import org.certkit.net.Network;
import org.certkit.testing.EngineTest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** certkit -> ONNX -> certkit keeps every bit of structure, parameters and outputs. */
class OnnxRoundTripTest extends EngineTest {

  @TempDir Path dir;

  @BeforeEach
  void seed() {
    manager.getEngine().setRandomSeed(7);
  }

    /** The chains of {@link ExportCases#cases()} and the residual graph {@code resnet2b}. */
  static List<ExportCases.Case> cases() {
    return Stream.concat(ExportCases.cases().stream(), Stream.of(ExportCases.residual()))
        .toList();
  }

  /**
   * AveragePool (padding counted), MaxPool (with padding), Sigmoid and Tanh export and import
   * back as the same layers with bit-identical outputs.
   */
  @org.junit.jupiter.api.Test
  void poolingAndSmoothActivationsRoundTrip() throws IOException {
    try (Network net = org.certkit.net.TinyNetworks.smooth(manager, 8)) {
      Path file = dir.resolve("smooth.onnx");
      OnnxExporter.write(net, file);
      try (Network back = OnnxImporter.read(file, manager)) {
        assertEquals(net.summary().lines().skip(1).toList(),
            back.summary().lines().skip(1).toList());
        NDArray x = ExportCases.inputs(manager, net, 5, DataType.FLOAT64);
        assertArrayEquals(
            ConcreteDomain.forward(net, x, BatchStatistics.evaluation()).toByteArray(),
            ConcreteDomain.forward(back, x, BatchStatistics.evaluation()).toByteArray());
      }
    }
  }

  /**
   * Export and import give back the same layers reading the same nodes (the skip connections of
   * {@code resnet2b} included), the same arrays bit for bit (BatchNorm running statistics,
   * epsilon and momentum included) and bit-identical float32 and float64 outputs.
   */
  @ParameterizedTest
  @MethodSource("cases")
  void roundTripIsBitExact(ExportCases.Case c) throws IOException {
    try (Network net = ExportCases.build(c, manager, 3)) {
      Path file = dir.resolve(c.name() + ".onnx");
      OnnxExporter.write(net, file);
      try (Network back = OnnxImporter.read(file, manager)) {
        assertEquals(net.architecture(), back.architecture());
        assertEquals(net.inputShape(), back.inputShape());
        assertEquals(net.layers().size(), back.layers().size(), back.summary());
        for (int i = 0; i < net.layers().size(); i++) {
          Layer a = net.layers().get(i);
          Layer b = back.layers().get(i);
          assertEquals(a.getClass(), b.getClass(), "layer " + i);
          assertEquals(a.describe(), b.describe(), "layer " + i);
          assertArrayEquals(net.inputs(i), back.inputs(i), "inputs of node " + i);
          if (a instanceof BatchNorm x) {
            BatchNorm y = assertInstanceOf(BatchNorm.class, b);
            assertEquals(Float.floatToIntBits(x.epsilon()), Float.floatToIntBits(y.epsilon()));
            assertEquals(Float.floatToIntBits(x.momentum()), Float.floatToIntBits(y.momentum()));
          }
          if (a instanceof Conv2d x) {
            Conv2d y = assertInstanceOf(Conv2d.class, b);
            assertEquals(x.stride(), y.stride());
            assertEquals(x.padding(), y.padding());
          }
        }
        Map<String, NDArray> expected = net.state();
        Map<String, NDArray> actual = back.state();
        assertEquals(List.copyOf(expected.keySet()), List.copyOf(actual.keySet()));
        for (String name : expected.keySet()) {
          assertEquals(expected.get(name).getDataType(), actual.get(name).getDataType(), name);
          assertEquals(expected.get(name).getShape(), actual.get(name).getShape(), name);
          assertArrayEquals(expected.get(name).toByteArray(), actual.get(name).toByteArray(),
              name);
        }
        for (DataType type : List.of(DataType.FLOAT32, DataType.FLOAT64)) {
          try (NDManager scope = manager.newSubManager()) {
            NDArray x = ExportCases.inputs(scope, net, 5, type);
            NDArray y = ConcreteDomain.forward(net, x, BatchStatistics.evaluation());
            NDArray z = ConcreteDomain.forward(back, x, BatchStatistics.evaluation());
            assertArrayEquals(y.toByteArray(), z.toByteArray(), type.toString());
          }
        }
      }
    }
  }

  /** Exporting an imported network reproduces the exported bytes exactly. */
  @Test
  void reExportGivesTheSameBytes() throws IOException {
    for (ExportCases.Case c : cases()) {
      try (Network net = ExportCases.build(c, manager, 5)) {
        Path file = dir.resolve(c.name() + ".onnx");
        OnnxExporter.write(net, file);
        try (Network back = OnnxImporter.read(file, manager)) {
          assertArrayEquals(OnnxExporter.toBytes(net), OnnxExporter.toBytes(back), c.name());
        }
      }
    }
  }

  /**
   * ONNX stores BatchNorm momentum as the weight of the running value, {@code 1 - m}; decimal
   * momenta survive the conversion exactly, and PyTorch's stored 0.9 reads as 0.1.
   */
  @Test
  void momentumSurvivesTheComplement() {
    for (float m : new float[] {0.1f, 0.01f, 0.05f, 0.001f, 0.2f, 0.3f, 1e-4f, 0.5f}) {
      assertEquals(m, OnnxImporter.certkitMomentum(OnnxImporter.onnxMomentum(m)), "m = " + m);
    }
    assertEquals(0.1f, OnnxImporter.certkitMomentum(0.9f));
    float odd = Math.nextUp(0.1f);
    assertEquals(OnnxImporter.onnxMomentum(odd),
        OnnxImporter.onnxMomentum(OnnxImporter.certkitMomentum(OnnxImporter.onnxMomentum(odd))),
        "any momentum maps back to the same stored value");
    assertTrue(OnnxImporter.certkitMomentum(0.9f) > 0);
  }
}

package org.certkit.net;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import org.certkit.data.DatasetName;
import org.certkit.domain.ConcreteDomain;
import org.certkit.testing.EngineTest;
import org.junit.jupiter.api.Test;

/** The named architectures against the layer sizes of the codebases they come from. */
class ArchitecturesTest extends EngineTest {

  /**
   * COLT's {@code convmed_flat_2_4_250} on MNIST: Conv(1->32, 5x5) 832, Conv(32->128, 4x4)
   * 65,664, Linear(128*7*7 -> 250) 1,568,250, Linear(250 -> 10) 2,510 parameters.
   */
  @Test
  void cnn4IsColtsFourLayerCnn() {
    assertSizes("cnn4", 1, 832 + 65_664 + 1_568_250 + 2_510);
    // Quarter width, the small scale of s1-table2: Conv(1->8) 208, Conv(8->32) 4,128,
    // Linear(1568 -> 250) 392,250, Linear(250 -> 10) 2,510.
    assertSizes("cnn4", 0.25, 208 + 4_128 + 392_250 + 2_510);
  }

  /** ERAN-style ConvSmall, padded: Conv(1->16, 4x4) 272, Conv(16->32) 8,224, 156,900, 1,010. */
  @Test
  void convsmallIsThePaddedConvSmall() {
    assertSizes("convsmall", 1, 272 + 8_224 + 156_900 + 1_010);
  }

  private void assertSizes(String name, double width, long parameters) {
    try (Network network = Architectures.build(new Architectures.Spec(name, width,
        new int[] {256}), DatasetName.MNIST.inputFormat(), Initialization.DEFAULT, 0, manager)) {
      assertEquals(parameters, network.parameterCount(), name + " x" + width);
      NDArray x = manager.zeros(new Shape(2, 1, 28, 28));
      assertEquals(new Shape(2, 10), ConcreteDomain.forward(network, x,
          BatchStatistics.evaluation()).getShape());
    }
  }
}

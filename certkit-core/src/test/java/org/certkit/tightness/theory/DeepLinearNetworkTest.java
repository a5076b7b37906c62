package org.certkit.tightness.theory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Theorem 3.2 on a hand-computed network, and shape validation. */
class DeepLinearNetworkTest {

  /**
   * W1 = [[1, -2], [3, 1]], W2 = [[1, 1]], eps = (1, 0.5): the product is [4, -1], so the
   * optimal radius is 4 + 0.5 = 4.5; layer-wise, the hidden radii are (2, 3.5), output 5.5.
   * The same numbers bound the reachable set: the corner (1, -0.5) reaches 4.5.
   */
  @Test
  void radiiMatchHandComputation() {
    DeepLinearNetwork network = new DeepLinearNetwork(List.of(
        new double[][] {{1, -2}, {3, 1}}, new double[][] {{1, 1}}));
    double[] epsilon = {1, 0.5};
    assertArrayEquals(new double[] {4.5}, network.optimalRadius(epsilon), 1e-15);
    assertArrayEquals(new double[] {5.5}, network.layerwiseRadius(epsilon), 1e-15);
    GlobalTightness tightness = network.tightness(epsilon);
    assertEquals(4.5 / 5.5, tightness.ratioOfMeans(), 1e-15);
    assertEquals(4.5 / 5.5, tightness.meanOfRatios(), 1e-15);
  }

  /** The aggregates differ when dimensions differ: 5 / 8 against (1 / 4 + 1) / 2. */
  @Test
  void aggregatesDifferAcrossDimensions() {
    GlobalTightness uneven = new GlobalTightness(new double[] {1, 4}, new double[] {4, 4});
    assertEquals(5.0 / 8, uneven.ratioOfMeans(), 1e-15);
    assertEquals((0.25 + 1) / 2, uneven.meanOfRatios(), 1e-15);
  }

  @Test
  void rejectsMismatchedShapes() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new DeepLinearNetwork(List.of(new double[2][3], new double[4][5])));
    assertTrue(e.getMessage().contains("layer 2"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new DeepLinearNetwork(List.of()));
    DeepLinearNetwork network = new DeepLinearNetwork(List.<double[][]>of(new double[][] {{1, 2}}));
    assertThrows(IllegalArgumentException.class,
        () -> network.optimalRadius(new double[] {1, -1}));
    assertThrows(IllegalArgumentException.class, () -> network.layerwiseRadius(new double[3]));
  }
}

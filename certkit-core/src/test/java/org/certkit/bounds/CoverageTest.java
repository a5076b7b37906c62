package org.certkit.bounds;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class CoverageTest {

  @Test
  void disjointIntervalsHaveNoCoverage() {
    assertEquals(0, Coverage.gamma(3, 5, 0, 2));
    assertEquals(0, Coverage.gamma(-4, -1, 0, 2));
  }

  @Test
  void boundsContainingTheTruthHaveFullCoverage() {
    assertEquals(1, Coverage.gamma(-1, 3, 0, 2));
    assertEquals(1, Coverage.gamma(0, 2, 0, 2));
  }

  /** Bounds inside the true interval cover their own share of it: 1 of 4 here. */
  @Test
  void boundsInsideTheTruthCoverTheirShare() {
    assertEquals(0.25, Coverage.gamma(1, 2, 0, 4), 1e-15);
  }

  @Test
  void partialOverlapCoversTheIntersection() {
    assertEquals(0.75, Coverage.gamma(1, 10, 0, 4), 1e-15);
    assertEquals(0.5, Coverage.gamma(-3, 2, 0, 4), 1e-15);
    // touching at one end only: an intersection of length 0
    assertEquals(0, Coverage.gamma(4, 6, 0, 4));
  }

  @Test
  void degenerateTruthIsCoveredOrNot() {
    assertEquals(1, Coverage.gamma(-1, 1, 0.5, 0.5));
    assertEquals(0, Coverage.gamma(-1, 0, 0.5, 0.5));
  }

  @Test
  void perOutputGammaAndWidths() {
    Intervals truth = new Intervals(new double[] {0, 0, 0}, new double[] {4, 4, 4});
    Intervals bounds = new Intervals(new double[] {-1, 1, 5}, new double[] {5, 10, 6});
    assertArrayEquals(new double[] {1, 0.75, 0}, Coverage.gamma(bounds, truth), 1e-15);
    Intervals ibp = new Intervals(new double[] {-10, -2, 0}, new double[] {10, 2, 3});
    assertArrayEquals(new double[] {20.0 / 6, 4.0 / 9, 3}, Coverage.widthRatio(ibp, bounds),
        1e-15);
    assertArrayEquals(new double[] {14, -5, 2}, Coverage.widthDifference(ibp, bounds), 1e-15);
  }

  @Test
  void rejectsMisuse() {
    assertThrows(IllegalArgumentException.class, () -> Coverage.gamma(2, 1, 0, 1));
    assertThrows(IllegalArgumentException.class, () -> Coverage.gamma(0, 1, 0, Double.NaN));
    assertThrows(IllegalArgumentException.class, () -> new Intervals(new double[] {1},
        new double[] {0}));
    Intervals one = new Intervals(new double[] {0}, new double[] {1});
    Intervals two = new Intervals(new double[] {0, 0}, new double[] {1, 1});
    assertThrows(IllegalArgumentException.class, () -> Coverage.gamma(one, two));
  }
}

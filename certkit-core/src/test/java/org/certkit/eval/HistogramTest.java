package org.certkit.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class HistogramTest {

  @Test
  void binsFiniteValuesBetweenTheirExtremesWithTheMaximumInTheLastBin() {
    Histogram h = Histogram.of(new double[] {-1, -0.5, 0, 0.49, 0.5, 1, Double.NaN,
        Double.POSITIVE_INFINITY}, 4);
    assertArrayEquals(new double[] {-1, -0.5, 0, 0.5, 1}, h.edges());
    assertArrayEquals(new int[] {1, 1, 2, 2}, h.counts());
  }

  @Test
  void equalValuesGetOneUnitWideRangeAndNoFiniteValueNoHistogram() {
    Histogram h = Histogram.of(new double[] {2, 2, 2}, 2);
    assertArrayEquals(new double[] {1.5, 2, 2.5}, h.edges());
    assertArrayEquals(new int[] {0, 3}, h.counts());
    assertNull(Histogram.of(new double[] {Double.NaN}, 3));
  }

  @Test
  void edgesMustBeOneMoreThanBins() {
    assertThrows(IllegalArgumentException.class,
        () -> new Histogram(new double[] {0, 1}, new int[] {1, 2}));
  }
}

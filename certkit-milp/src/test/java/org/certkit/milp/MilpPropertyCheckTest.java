package org.certkit.milp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.types.Shape;
import java.math.BigDecimal;
import org.certkit.domain.ConcreteDomain;
import org.certkit.io.vnnlib.VnnlibFormatException;
import org.certkit.io.vnnlib.VnnlibProperty;
import org.certkit.io.vnnlib.VnnlibReader;
import org.certkit.net.BatchStatistics;
import org.certkit.net.Network;
import org.certkit.testing.EngineTest;
import org.junit.jupiter.api.Test;

class MilpPropertyCheckTest extends EngineTest {

  private static final MilpPropertyCheck CHECK = MilpPropertyCheck.withTimeLimit(20);

  /**
   * On one-input nets the true maximum over the box is known by enumerating the kinks: "the
   * output reaches max + 0.01" is refuted, "it reaches max - 0.01" is violated (the solver's point
   * is checked in exact arithmetic), and a second clause or a second box is checked too.
   */
  @Test
  void agreesWithTheEnumeratedRangeOfOneInputNets() throws VnnlibFormatException {
    for (long seed = 0; seed < 4; seed++) {
      try (Network net = MilpFixtures.oneDimensional(manager, seed, 6)) {
        double lo = -2;
        double hi = 1.5;
        double[] points = MilpFixtures.gridAndKinks(net, lo, hi, 100_000);
        double[] y = ConcreteDomain.forward(net, manager.create(points,
            new Shape(points.length, 1)), BatchStatistics.evaluation()).toDoubleArray();
        double max = Double.NEGATIVE_INFINITY;
        double min = Double.POSITIVE_INFINITY;
        for (double v : y) {
          max = Math.max(max, v);
          min = Math.min(min, v);
        }
        String box = "(assert (>= X_0 -2)) (assert (<= X_0 1.5))";
        assertEquals(MilpPropertyCheck.Agreement.REFUTED,
            check(net, box + above(max + 0.01)), "seed " + seed);
        assertEquals(MilpPropertyCheck.Agreement.VIOLATED,
            check(net, box + above(max - 0.01)), "seed " + seed);
        // Two clauses: the second one (below min - 0.01) is refuted too.
        assertEquals(MilpPropertyCheck.Agreement.REFUTED, check(net, box
            + "(assert (or (and (>= Y_0 " + decimal(max + 0.01) + ")) (and (<= Y_0 "
            + decimal(min - 0.01) + "))))"), "seed " + seed);
        // A clause of two constraints whose conjunction no point meets, each one met somewhere.
        double middle = (min + max) / 2;
        assertEquals(MilpPropertyCheck.Agreement.REFUTED, check(net, box
            + "(assert (and (>= Y_0 " + decimal(max + 0.01) + ") (<= Y_0 " + decimal(middle)
            + ")))"), "seed " + seed);
      }
    }
  }

  private MilpPropertyCheck.Agreement check(Network net, String asserts)
      throws VnnlibFormatException {
    VnnlibProperty property = VnnlibReader.parse(
        "(declare-const X_0 Real) (declare-const Y_0 Real) " + asserts, "test");
    return CHECK.check(net, property, manager).agreement();
  }

  private static String above(double t) {
    return "(assert (>= Y_0 " + decimal(t) + "))";
  }

  private static String decimal(double v) {
    return new BigDecimal(v).toPlainString();
  }
}

package org.certkit.milp;

import static org.certkit.milp.MilpFixtures.assertContains;
import static org.certkit.milp.MilpFixtures.cornersAndSamples;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.certkit.domain.Box;
import org.certkit.domain.ConcreteDomain;
import org.certkit.domain.IntervalDomain;
import org.certkit.net.Architectures;
import org.certkit.net.BatchStatistics;
import org.certkit.net.Initialization;
import org.certkit.net.InputFormat;
import org.certkit.net.Network;
import org.certkit.net.TinyNetworks;
import org.certkit.testing.EngineTest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class MilpTimeLimitTest extends EngineTest {

  /** 5x5 pixels, 3 classes. */
  private static final InputFormat FIVE_BY_FIVE =
      new InputFormat(1, 5, 5, new float[] {0.5f}, new float[] {0.3f}, 3);

  @BeforeEach
  void seed() {
    manager.getEngine().setRandomSeed(5);
  }

  /**
   * A 1 ms limit on a net with about a hundred unstable ReLUs ends every solve before any point
   * is found: the results are TimedOut, never Optimal, with the interval bounds, which contain every
   * sampled output.
   */
  @Test
  void solvesStoppedBeforeAnyPointKeepTheIntervalBound() {
    try (Network net = hardNetwork()) {
      Box box = Box.linfBall(TinyNetworks.inputs(manager, net, 1), 0.3);
      assertTimedOutAndSound(net, box, new MilpBounds(MilpOptions.withTimeLimit(0.001))
          .outputBounds(net, box));
    }
  }

  /**
   * A 0.5 s limit on the same net ends the solves after points are found: the results are
   * TimedOut with the solver's dual bound, which must still contain every sampled output.
   */
  @Test
  void solvesStoppedWithAPointReportTheDualBound() {
    try (Network net = hardNetwork()) {
      Box box = Box.linfBall(TinyNetworks.inputs(manager, net, 1), 0.3);
      assertTimedOutAndSound(net, box, new MilpBounds(MilpOptions.withTimeLimit(0.5))
          .outputBounds(net, box));
    }
  }

  /** fc 25-60-60-3: at eps 0.3 most of its 120 ReLUs are unstable. */
  private Network hardNetwork() {
    return Architectures.build(new Architectures.Spec("fc", 1, new int[] {60, 60}),
        FIVE_BY_FIVE, Initialization.DEFAULT, 1, manager);
  }

  private void assertTimedOutAndSound(Network net, Box box, OutputBounds bounds) {
    assertTrue(bounds.unstableRelus() >= 60, "only " + bounds.unstableRelus() + " unstable");
    List<MilpBound> all = new ArrayList<>(bounds.lower());
    all.addAll(bounds.upper());
    for (MilpBound b : all) {
      assertInstanceOf(MilpBound.TimedOut.class, b, "a solve cut short claimed " + b);
    }
    Box interval = new IntervalDomain(IntervalDomain.Rounding.OUTWARD).propagate(net, box,
        BatchStatistics.evaluation());
    double[] lo = interval.lower().toDoubleArray();
    double[] hi = interval.upper().toDoubleArray();
    for (int k = 0; k < lo.length; k++) {
      double lower = bounds.lower().get(k).value();
      double upper = bounds.upper().get(k).value();
      assertTrue(lower >= lo[k] && upper <= hi[k], "looser than IBP: output " + k);
      for (MilpBound b : List.of(bounds.lower().get(k), bounds.upper().get(k))) {
        b.incumbent().ifPresent(point -> assertTrue(point.value() >= lower
            && point.value() <= upper, "the solver's point lies outside the bounds"));
      }
    }
    assertContains(bounds, ConcreteDomain.forward(net, cornersAndSamples(box, 5000, 2),
        BatchStatistics.evaluation()));
  }
}

package org.certkit.milp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.List;
import org.certkit.domain.Box;
import org.certkit.domain.ConcreteDomain;
import org.certkit.domain.IntervalDomain;
import org.certkit.domain.LinearBoundDomain;
import org.certkit.net.BatchStatistics;
import org.certkit.net.Network;
import org.certkit.net.TinyNetworks;
import org.certkit.spec.InputSet;
import org.certkit.testing.EngineTest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The sparse affine form of a network, and the MILP with CROWN's big-M constants. */
class PreActivationBoundsTest extends EngineTest {

  @BeforeEach
  void seed() {
    manager.getEngine().setRandomSeed(11);
  }

  /**
   * The blocks (Normalize, Conv2d, BatchNorm with random running statistics, Flatten, Linear
   * folded into sparse maps) compute the network's outputs: equal to the concrete forward pass
   * within 1e-9 on random inputs, for an fc net and a conv net with BatchNorm.
   */
  @Test
  void blocksReproduceTheForwardPass() {
    for (Network net : List.of(TinyNetworks.fc(manager, 1), bnNetwork())) {
      try (net) {
        AffineBlocks blocks = AffineBlocks.of(net.layers(), net.inputShape().getShape());
        NDArray x = TinyNetworks.inputs(manager, net, 20);
        double[] expected = ConcreteDomain.forward(net, x, BatchStatistics.evaluation())
            .toDoubleArray();
        double[] inputs = x.toDoubleArray();
        int size = (int) net.inputShape().size();
        int classes = net.numClasses();
        for (int i = 0; i < 20; i++) {
          double[] input = java.util.Arrays.copyOfRange(inputs, i * size, (i + 1) * size);
          double[] y = blocks.evaluate(input);
          for (int k = 0; k < classes; k++) {
            assertEquals(expected[i * classes + k], y[k], 1e-9 * (1 + Math.abs(y[k])),
                net.architecture() + " input " + i + " output " + k);
          }
        }
      }
    }
  }

  /**
   * CROWN's output bounds lie inside the interval bounds, are strictly tighter somewhere, and
   * contain the outputs of corners and random points of the box; the MILP with CROWN's big-M
   * constants finds the same exact bounds with no more unstable ReLUs than with interval ones.
   */
  @Test
  void tighterThanIntervalsYetSoundAndMilpUnchanged() {
    MilpBounds interval = new MilpBounds(MilpOptions.withTimeLimit(20));
    MilpBounds linear = new MilpBounds(MilpOptions.withTimeLimit(20)
        .withPreActivationBounds(MilpOptions.PreActivationBounds.LINEAR_RELAXATION));
    double gain = 0;
    for (long seed = 0; seed < 3; seed++) {
      try (Network net = bnNetwork(seed)) {
        Box box = Box.linfBall(TinyNetworks.inputs(manager, net, 1), 0.02);
        List<double[][]> pre = new ArrayList<>();
        IntervalDomain domain = new IntervalDomain(IntervalDomain.Rounding.OUTWARD);
        Box out = domain.propagate(net, box, BatchStatistics.evaluation());
        for (Box b : domain.nodeBoxes(net, box, BatchStatistics.evaluation())
            .reluInputs(net)) {
          pre.add(new double[][] {b.lower().toDoubleArray(), b.upper().toDoubleArray()});
        }
        double[][] ibp = {out.lower().toDoubleArray(), out.upper().toDoubleArray()};
        LinearBoundDomain.LayerBounds layers = new LinearBoundDomain(
            LinearBoundDomain.Intermediate.CROWN, IntervalDomain.Rounding.OUTWARD).layerBounds(
            net, new InputSet.BoxRegion(box.lower(), box.upper()), BatchStatistics.evaluation());
        double[][] tight = {layers.output().lower().toDoubleArray(),
            layers.output().upper().toDoubleArray()};
        for (int j = 0; j < pre.size(); j++) {
          double[] lo = layers.reluInputs().get(j).lower().toDoubleArray();
          double[] hi = layers.reluInputs().get(j).upper().toDoubleArray();
          for (int u = 0; u < lo.length; u++) {
            assertTrue(lo[u] <= hi[u], "empty pre-activation bound at layer " + j);
          }
        }
        double[] samples = ConcreteDomain.forward(net,
            MilpFixtures.cornersAndSamples(box, 3000, seed), BatchStatistics.evaluation())
            .toDoubleArray();
        int classes = net.numClasses();
        for (int k = 0; k < classes; k++) {
          double lo = tight[0][k];
          double hi = tight[1][k];
          assertTrue(lo >= ibp[0][k] && hi <= ibp[1][k], "looser than IBP at output " + k);
          gain += (lo - ibp[0][k]) + (ibp[1][k] - hi);
          for (int i = k; i < samples.length; i += classes) {
            assertTrue(samples[i] >= lo && samples[i] <= hi, "sample " + samples[i]
                + " outside [" + lo + ", " + hi + "]");
          }
        }
        OutputBounds a = interval.outputBounds(net, box);
        OutputBounds b = linear.outputBounds(net, box);
        assertTrue(a.allOptimal() && b.allOptimal());
        assertTrue(b.unstableRelus() <= a.unstableRelus());
        for (int k = 0; k < classes; k++) {
          assertEquals(a.lower().get(k).value(), b.lower().get(k).value(), 1e-5);
          assertEquals(a.upper().get(k).value(), b.upper().get(k).value(), 1e-5);
        }
      }
    }
    assertTrue(gain > 1e-3, "CROWN never tightened IBP: " + gain);
  }

  private Network bnNetwork() {
    return bnNetwork(3);
  }

  /** CNN3 with BatchNorm on 8x8 inputs, random running statistics. */
  private Network bnNetwork(long seed) {
    Network net = TinyNetworks.convBn(manager, seed);
    MilpFixtures.randomiseBatchNorm(net, seed);
    return net;
  }
}

package org.certkit.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.function.BiFunction;
import org.certkit.net.BatchStatistics;
import org.certkit.net.Network;
import org.certkit.net.TinyNetworks;
import org.certkit.spec.InputSet;
import org.certkit.spec.Specification;
import org.certkit.testing.EngineTest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What every {@link BoundDomain} must do, sound or not; each domain's test extends this class
 * (sound domains through {@link SoundDomainContract}). On a fully connected net, a conv net with
 * random BatchNorm statistics and a residual graph, in float64: a ball of radius 0 gives the concrete outputs, and
 * margin bounds equal the concrete margins.
 */
abstract class BoundDomainContract extends EngineTest {

  static final BatchStatistics EVAL = BatchStatistics.evaluation();

  /** The domain under test. */
  abstract BoundDomain domain();

  /**
   * How far, relative to {@code 1 + |value|}, a bound over a zero-radius set may lie from the
   * concrete value: float64 rounding by default; a sound domain that computes in float32 widens
   * by its rounding allowance, about {@code 2^-24} times the magnitudes summed.
   */
  double zeroRadiusTolerance() {
    return 1e-9;
  }

  @BeforeEach
  void seed() {
    manager.getEngine().setRandomSeed(11);
  }

  /** The networks every contract test runs on. */
  static final BiFunction<NDManager, Long, Network>[] NETWORKS = networks();

  @SuppressWarnings("unchecked")
  private static BiFunction<NDManager, Long, Network>[] networks() {
    return new BiFunction[] {
      (BiFunction<NDManager, Long, Network>) TinyNetworks::fc,
      (BiFunction<NDManager, Long, Network>) (m, seed) -> {
        Network net = TinyNetworks.convBn(m, seed);
        TinyNetworks.randomiseBatchNorm(net, m);
        return net;
      },
      (BiFunction<NDManager, Long, Network>) TinyNetworks::residual
    };
  }

  @Test
  void zeroRadiusGivesTheConcreteOutputs() {
    for (BiFunction<NDManager, Long, Network> build : NETWORKS) {
      try (Network net = build.apply(manager, 3L)) {
        NDArray x = TinyNetworks.inputs(manager, net, 5);
        double[] y = ConcreteDomain.forward(net, x, EVAL).toDoubleArray();
        Box out = domain().outputBounds(net, InputSet.LinfBall.pixels(x, 0), EVAL);
        double[] lower = out.lower().toDoubleArray();
        double[] upper = out.upper().toDoubleArray();
        for (int i = 0; i < y.length; i++) {
          double tolerance = zeroRadiusTolerance() * (1 + Math.abs(y[i]));
          assertEquals(y[i], lower[i], tolerance, net.architecture() + " lower " + i);
          assertEquals(y[i], upper[i], tolerance, net.architecture() + " upper " + i);
        }
      }
    }
  }

  @Test
  void zeroRadiusMarginsAreTheConcreteMargins() {
    for (BiFunction<NDManager, Long, Network> build : NETWORKS) {
      try (Network net = build.apply(manager, 4L)) {
        int n = 5;
        NDArray x = TinyNetworks.inputs(manager, net, n);
        int classes = net.numClasses();
        double[] y = ConcreteDomain.forward(net, x, EVAL).toDoubleArray();
        long[] label = new long[n];
        for (int i = 0; i < n; i++) {
          label[i] = i % classes;
        }
        double[] lower = domain().lowerBounds(net, InputSet.LinfBall.pixels(x, 0),
            new Specification.Margins(manager.create(label)), EVAL).toDoubleArray();
        for (int i = 0; i < n; i++) {
          for (int k = 0; k < classes; k++) {
            double margin = y[i * classes + (int) label[i]] - y[i * classes + k];
            assertEquals(margin, lower[i * classes + k],
                zeroRadiusTolerance() * (1 + Math.abs(margin)),
                net.architecture() + " example " + i + " margin to " + k);
          }
        }
      }
    }
  }
}

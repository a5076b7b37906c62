package org.certkit.domain;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import org.certkit.attack.PgdAttack;
import org.certkit.net.Network;
import org.certkit.net.TinyNetworks;
import org.certkit.spec.InputSet;
import org.certkit.spec.Specification;
import org.junit.jupiter.api.Test;

/**
 * What a sound {@link BoundDomain} must do besides {@link BoundDomainContract}: its output bounds
 * contain the outputs of box corners, uniform samples and PGD's strongest points, its margin
 * bounds lie below every sampled margin, and its bounds grow with the radius; on the networks of
 * every domain and on one with Sigmoid, Tanh, average and max pooling.
 */
abstract class SoundDomainContract extends BoundDomainContract {

  /** The networks of every domain, and one with Sigmoid, Tanh, average and max pooling. */
  List<BiFunction<NDManager, Long, Network>> soundNetworks() {
    List<BiFunction<NDManager, Long, Network>> out = new ArrayList<>(List.of(NETWORKS));
    out.add(TinyNetworks::smooth);
    return List.copyOf(out);
  }

  @Test
  void soundDomainSaysSo() {
    assertTrue(domain().sound());
  }

  @Test
  void boundsContainCornersSamplesAndPgdPoints() {
    double eps = 0.05;
    for (BiFunction<NDManager, Long, Network> build : soundNetworks()) {
      try (Network net = build.apply(manager, 5L)) {
        NDArray x = TinyNetworks.inputs(manager, net, 4);
        Box out = domain().outputBounds(net, InputSet.LinfBall.pixels(x, eps), EVAL);
        NDArray labels = manager.arange(0, 4, 1, DataType.INT64).mod(net.numClasses());
        NDArray adversarial = new PgdAttack(20, 0.1, 2, true).attack(net, x, labels, eps, EVAL);
        assertInside(ConcreteDomain.forward(net, adversarial, EVAL), out, net + " PGD points");
        for (int i = 0; i < 4; i++) {
          NDArray points = TinyNetworks.ballPoints(x.get(i).expandDims(0), eps, 1000, i);
          NDArray outputs = ConcreteDomain.forward(net, points, EVAL);
          Box own = new Box(out.centre().get(i).expandDims(0), out.radius().get(i).expandDims(0));
          assertInside(outputs, own, net.architecture() + " example " + i);
        }
      }
    }
  }

  @Test
  void marginBoundsHoldOnSamples() {
    double eps = 0.03;
    for (BiFunction<NDManager, Long, Network> build : soundNetworks()) {
      try (Network net = build.apply(manager, 6L)) {
        int classes = net.numClasses();
        NDArray x = TinyNetworks.inputs(manager, net, 3);
        long[] label = {0, 1 % classes, 2 % classes};
        double[] lower = domain().lowerBounds(net, InputSet.LinfBall.pixels(x, eps),
            new Specification.Margins(manager.create(label)), EVAL).toDoubleArray();
        for (int i = 0; i < label.length; i++) {
          double[] y = ConcreteDomain.forward(net,
              TinyNetworks.ballPoints(x.get(i).expandDims(0), eps, 1000, i), EVAL)
              .toDoubleArray();
          for (int p = 0; p < y.length / classes; p++) {
            for (int k = 0; k < classes; k++) {
              double margin = y[p * classes + (int) label[i]] - y[p * classes + k];
              assertTrue(lower[i * classes + k] <= margin, net.architecture() + " example " + i
                  + ": margin bound " + lower[i * classes + k] + " above " + margin);
            }
          }
        }
      }
    }
  }

  @Test
  void boundsGrowWithTheRadius() {
    for (BiFunction<NDManager, Long, Network> build : soundNetworks()) {
      try (Network net = build.apply(manager, 7L)) {
        NDArray x = TinyNetworks.inputs(manager, net, 3);
        Box previous = null;
        for (double eps : new double[] {0, 0.001, 0.01, 0.05, 0.2}) {
          Box out = domain().outputBounds(net, InputSet.LinfBall.pixels(x, eps), EVAL);
          if (previous != null) {
            assertTrue(out.lower().lte(previous.lower()).all().getBoolean()
                && out.upper().gte(previous.upper()).all().getBoolean(),
                net.architecture() + ": bounds at eps " + eps + " do not contain the smaller");
          }
          previous = out;
        }
      }
    }
  }

  private static void assertInside(NDArray outputs, Box box, String what) {
    assertTrue(outputs.gte(box.lower()).all().getBoolean(), what + ": a point below the bound");
    assertTrue(outputs.lte(box.upper()).all().getBoolean(), what + ": a point above the bound");
  }
}

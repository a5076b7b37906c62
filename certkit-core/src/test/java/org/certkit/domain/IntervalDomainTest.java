package org.certkit.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.certkit.attack.PgdAttack;
import org.certkit.net.BatchStatistics;
import org.certkit.net.Conv2d;
import org.certkit.net.Layer;
import org.certkit.net.Linear;
import org.certkit.net.Network;
import org.certkit.net.TinyNetworks;
import org.certkit.testing.EngineTest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class IntervalDomainTest extends EngineTest {

  private static final IntervalDomain SOUND = new IntervalDomain(IntervalDomain.Rounding.OUTWARD);

  @BeforeEach
  void seed() {
    manager.getEngine().setRandomSeed(7);
  }

  /**
   * The margins written as a matrix of linear constraints (rows {@code e_t - e_k}) give the same
   * lower bounds as the margin specification, with and without a merged last layer, and the
   * constraint bounds after a final ReLU lie below every sampled value of {@code C y + d}.
   */
  @Test
  void constraintMatrixAgreesWithMarginsAndHoldsOnSamples() {
    IntervalDomain nearest = new IntervalDomain(IntervalDomain.Rounding.NEAREST);
    try (Network net = TinyNetworks.convBn(manager, 4)) {
      TinyNetworks.randomiseBatchNorm(net, manager);
      int n = 6;
      NDArray x = TinyNetworks.inputs(manager, net, n).toType(DataType.FLOAT64, false);
      int classes = net.numClasses();
      long[] label = new long[n];
      double[] rows = new double[n * classes * classes];
      for (int i = 0; i < n; i++) {
        label[i] = i % classes;
        for (int k = 0; k < classes; k++) {
          rows[(i * classes + k) * classes + (int) label[i]] += 1;
          rows[(i * classes + k) * classes + k] -= 1;
        }
      }
      NDArray labels = manager.create(label);
      double eps = 0.02;
      org.certkit.spec.InputSet ball = org.certkit.spec.InputSet.LinfBall.pixels(x, eps);
      org.certkit.spec.Specification.LinearConstraints matrix =
          new org.certkit.spec.Specification.LinearConstraints(
              manager.create(rows, new Shape(n, classes, classes)),
              manager.zeros(new Shape(n, classes), DataType.FLOAT64));
      double[] viaMargins = nearest.lowerBounds(net, ball,
          new org.certkit.spec.Specification.Margins(labels), BatchStatistics.evaluation())
          .toDoubleArray();
      double[] viaMatrix = nearest.lowerBounds(net, ball, matrix, BatchStatistics.evaluation())
          .toDoubleArray();
      for (int j = 0; j < viaMargins.length; j++) {
        assertEquals(viaMargins[j], viaMatrix[j], 1e-9 * (1 + Math.abs(viaMargins[j])),
            "entry " + j);
      }
      // Without a Linear last layer (a final ReLU appended) the rows are bounded from the
      // output box; every sample satisfies them.
      java.util.List<Layer> layers = new java.util.ArrayList<>(net.layers());
      layers.add(new org.certkit.net.Relu());
      Network withRelu = new Network("relu-out", net.inputShape(), layers, manager.newSubManager());
      double[] lower = SOUND.lowerBounds(withRelu, ball, matrix, BatchStatistics.evaluation())
          .toDoubleArray();
      for (int i = 0; i < n; i++) {
        NDArray points = TinyNetworks.ballPoints(x.get(i).expandDims(0), eps, 500, 1);
        double[] y = ConcreteDomain.forward(withRelu, points, BatchStatistics.evaluation())
            .toDoubleArray();
        int count = y.length / classes;
        for (int p = 0; p < count; p++) {
          for (int k = 0; k < classes; k++) {
            double value = y[p * classes + (int) label[i]] - y[p * classes + k];
            assertTrue(lower[i * classes + k] <= value, "example " + i + ", row " + k
                + ": bound " + lower[i * classes + k] + " above sampled " + value);
          }
        }
      }
    }
  }

  /**
   * The box of every node, keyed by node, contains that node's concrete value at sampled points of
   * the ball, on a residual graph and on a conv net with BatchNorm; the ReLU inputs are the boxes
   * of the nodes the ReLUs read.
   */
  @Test
  void nodeBoxesContainEveryNodesConcreteValue() {
    for (Network net : java.util.List.of(TinyNetworks.residual(manager, 2),
        TinyNetworks.convBn(manager, 2))) {
      TinyNetworks.randomiseBatchNorm(net, manager);
      NDArray x = TinyNetworks.inputs(manager, net, 1);
      double eps = 0.05;
      NodeBoxes boxes = SOUND.nodeBoxes(net, Box.linfBall(x, eps), BatchStatistics.evaluation());
      NDArray points = TinyNetworks.ballPoints(x, eps, 500, 3);
      java.util.List<NDArray> values = net.evaluate(points, (i, layer, inputs) ->
          ConcreteDomain.apply(layer, i, inputs, BatchStatistics.evaluation()),
          net.layers().size());
      for (int i = 0; i < values.size(); i++) {
        Box box = boxes.of(i);
        NDArray v = values.get(i);
        assertTrue(v.gte(box.lower()).all().getBoolean() && v.lte(box.upper()).all()
            .getBoolean(), net.architecture() + " node " + i + " leaves its box");
      }
      int relus = 0;
      for (int i = 0; i < net.layers().size(); i++) {
        if (net.layers().get(i) instanceof org.certkit.net.Relu) {
          assertTrue(boxes.reluInputs(net).get(relus++) == boxes.of(net.inputs(i)[0]));
        }
      }
      assertEquals(relus, boxes.reluInputs(net).size());
      net.close();
    }
  }

  /** Every box corner and 4000 uniform samples of a 4-pixel ball land inside the IBP box. */
  @Test
  void containsAllCornersAndDenseSamples() {
    for (long seed = 0; seed < 5; seed++) {
      try (Network net = TinyNetworks.fc(manager, seed)) {
        NDArray x = TinyNetworks.inputs(manager, net, 1);
        double eps = 0.15;
        Box out = SOUND.propagate(net, Box.linfBall(x, eps), BatchStatistics.evaluation());
        NDArray points = TinyNetworks.ballPoints(x, eps, 4000, 1);
        NDArray outputs = ConcreteDomain.forward(net, points, BatchStatistics.evaluation());
        assertInside(outputs, out);
      }
    }
  }

  /** PGD's strongest points, on a conv net with BatchNorm, land inside the IBP box. */
  @Test
  void containsPgdPointsOnConvNet() {
    try (Network net = TinyNetworks.convBn(manager, 3)) {
      TinyNetworks.randomiseBatchNorm(net, manager);
      NDArray x = TinyNetworks.inputs(manager, net, 16);
      NDArray labels = manager.arange(0, 16, 1, DataType.INT64).mod(4);
      double eps = 0.05;
      NDArray adversarial = new PgdAttack(20, 0.1, 2, true)
          .attack(net, x, labels, eps, BatchStatistics.evaluation());
      Box out = SOUND.propagate(net, Box.linfBall(x, eps), BatchStatistics.evaluation());
      NDArray outputs = ConcreteDomain.forward(net, adversarial, BatchStatistics.evaluation());
      assertInside(outputs, out);
      NDArray margins = SOUND.marginLowerBounds(net, Box.linfBall(x, eps), labels,
          BatchStatistics.evaluation());
      NDArray target = org.certkit.loss.Losses.selected(outputs, labels).reshape(-1, 1);
      NDArray actualMargins = target.sub(outputs);
      assertTrue(actualMargins.gte(margins).all().getBoolean(),
          "a PGD point has a margin below its certified lower bound");
    }
  }

  /** With non-negative weights the network is monotone, so IBP gives the exact box. */
  @Test
  void nonNegativeWeightsGiveTheExactBox() {
    try (Network net = TinyNetworks.fc(manager, 11)) {
      for (Layer layer : net.layers()) {
        if (layer instanceof Linear l) {
          l.weight().set(l.weight().abs().toFloatArray());
        }
      }
      NDArray x = TinyNetworks.inputs(manager, net, 8);
      double eps = 0.2;
      Box box = Box.linfBall(x, eps);
      Box out = new IntervalDomain(IntervalDomain.Rounding.NEAREST)
          .propagate(net, box, BatchStatistics.evaluation());
      NDArray atLower = ConcreteDomain.forward(net, box.lower(), BatchStatistics.evaluation());
      NDArray atUpper = ConcreteDomain.forward(net, box.upper(), BatchStatistics.evaluation());
      assertEquals(0, out.lower().sub(atLower).abs().max().getDouble(), 1e-12);
      assertEquals(0, out.upper().sub(atUpper).abs().max().getDouble(), 1e-12);
    }
  }

  /** In training mode IBP uses the clean batch's statistics and still contains perturbed points. */
  @Test
  void trainingModeBatchNormBoundsContainPerturbedPoints() {
    try (Network net = TinyNetworks.convBn(manager, 5)) {
      NDArray x = TinyNetworks.inputs(manager, net, 32);
      double eps = 0.03;
      BatchStatistics stats = BatchStatistics.training();
      ConcreteDomain.forward(net, x, stats);
      Box out = SOUND.propagate(net, Box.linfBall(x, eps), stats);
      for (int trial = 0; trial < 20; trial++) {
        NDArray noise = manager.randomUniform((float) -eps, (float) eps, x.getShape(),
            DataType.FLOAT64);
        NDArray perturbed = x.add(noise).clip(0, 1);
        assertInside(ConcreteDomain.forward(net, perturbed, stats), out);
      }
    }
  }

  /**
   * In NEAREST mode the bounds fold each BatchNorm into the convolution or linear layer before
   * it; in float64 they agree with the layers bounded one by one (the unfolded node boxes, and
   * the sound OUTWARD margins, which lie at most their rounding allowance below), with the
   * statistics of evaluation and of a training batch; a folded node's box, computed when asked,
   * is the unfolded one.
   */
  @Test
  void foldedBatchNormAgreesWithTheLayersInTurn() {
    IntervalDomain nearest = new IntervalDomain(IntervalDomain.Rounding.NEAREST);
    try (Network net = TinyNetworks.convBn(manager, 3)) {
      TinyNetworks.randomiseBatchNorm(net, manager);
      int n = 8;
      NDArray x = TinyNetworks.inputs(manager, net, n).toType(DataType.FLOAT64, false);
      long[] label = new long[n];
      for (int i = 0; i < n; i++) {
        label[i] = i % net.numClasses();
      }
      org.certkit.spec.Specification margins =
          new org.certkit.spec.Specification.Margins(manager.create(label));
      org.certkit.spec.InputSet ball = org.certkit.spec.InputSet.LinfBall.pixels(x, 0.03);
      for (BatchStatistics stats : java.util.List.of(BatchStatistics.evaluation(),
          BatchStatistics.training())) {
        if (stats.isTraining()) {
          ConcreteDomain.forward(net, x, stats);
        }
        SpecificationBounds folded = nearest.bounds(net, ball, margins, stats);
        assertTrue(folded.boxes().deferred().size() >= 2, "nothing was folded");
        NodeBoxes unfolded = nearest.nodeBoxes(net, Box.of(ball), stats);
        for (int i = 0; i < folded.boxes().nodes().size(); i++) {
          Box a = folded.boxes().of(i);
          Box b = unfolded.of(i);
          double scale = 1 + b.centre().abs().add(b.radius()).max().getDouble();
          assertEquals(0, a.lower().sub(b.lower()).abs().max().getDouble(), 1e-12 * scale,
              "node " + i + ", " + (stats.isTraining() ? "training" : "evaluation"));
          assertEquals(0, a.upper().sub(b.upper()).abs().max().getDouble(), 1e-12 * scale,
              "node " + i + ", " + (stats.isTraining() ? "training" : "evaluation"));
        }
        double[] lower = folded.lower().toDoubleArray();
        double[] sound = SOUND.bounds(net, ball, margins, stats).lower().toDoubleArray();
        for (int j = 0; j < lower.length; j++) {
          assertTrue(sound[j] <= lower[j] + 1e-12 && lower[j] - sound[j] < 1e-9,
              "margin " + j + ": folded " + lower[j] + ", sound " + sound[j]);
        }
      }
    }
  }

  /** At eps = 0 the box collapses to the concrete output (up to the rounding allowance). */
  @Test
  void zeroRadiusGivesTheConcreteOutput() {
    try (Network net = TinyNetworks.convBn(manager, 9)) {
      TinyNetworks.randomiseBatchNorm(net, manager);
      NDArray x = TinyNetworks.inputs(manager, net, 4);
      Box out = SOUND.propagate(net, Box.linfBall(x, 0), BatchStatistics.evaluation());
      NDArray concrete = ConcreteDomain.forward(net, x, BatchStatistics.evaluation());
      assertEquals(0, out.centre().sub(concrete).abs().max().getDouble(), 1e-10);
      assertTrue(out.radius().max().getDouble() < 1e-10);
    }
  }

  /** The radius grows with epsilon. */
  @Test
  void boundsGrowWithEpsilon() {
    try (Network net = TinyNetworks.fc(manager, 2)) {
      NDArray x = TinyNetworks.inputs(manager, net, 8).mul(0.5).add(0.25);
      NDArray previous = null;
      for (double eps : new double[] {0.0, 0.01, 0.05, 0.2}) {
        NDArray radius = SOUND.propagate(net, Box.linfBall(x, eps), BatchStatistics.evaluation())
            .radius();
        if (previous != null) {
          assertTrue(radius.gte(previous).all().getBoolean());
        }
        previous = radius;
      }
    }
  }

  private static void assertInside(NDArray outputs, Box box) {
    NDArray lower = box.lower();
    NDArray upper = box.upper();
    assertTrue(outputs.gte(lower).all().getBoolean(), "a point lies below the lower bound");
    assertTrue(outputs.lte(upper).all().getBoolean(), "a point lies above the upper bound");
  }
}

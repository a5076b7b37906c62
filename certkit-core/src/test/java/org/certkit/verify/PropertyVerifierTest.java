package org.certkit.verify;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.time.Duration;
import java.util.List;
import org.certkit.attack.RegionAttack;
import org.certkit.certify.BranchAndBound;
import org.certkit.certify.Certifier;
import org.certkit.certify.InputSplitting;
import org.certkit.certify.Verdict;
import org.certkit.domain.ConcreteDomain;
import org.certkit.domain.IntervalDomain;
import org.certkit.domain.LinearBoundDomain;
import org.certkit.io.vnnlib.VnnlibProperty;
import org.certkit.io.vnnlib.VnnlibReader;
import org.certkit.io.vnnlib.VnnlibWriter;
import org.certkit.net.BatchStatistics;
import org.certkit.net.Network;
import org.certkit.net.TinyNetworks;
import org.certkit.spec.InputSet;
import org.certkit.spec.Specification;
import org.certkit.testing.EngineTest;
import org.junit.jupiter.api.Test;

/**
 * The verifier against independent truth on a 4-input network: robustness that an exhaustive
 * split of the input box into 20^4 boxes proves with interval bounds, but CROWN alone does not,
 * must come out unsat, from ReLU splitting, from input splitting and from the certifier's BAB
 * cascade; a property with a point that the network misclassifies (found by sampling) must come
 * out sat with a counterexample that a float64 forward pass confirms, and never unsat, with
 * either search, even when the attack is too weak to find it.
 */
class PropertyVerifierTest extends EngineTest {

  private static final BatchStatistics EVAL = BatchStatistics.evaluation();
  private static final int GRID = 20;

  @Test
  void robustnessThatOnlySplittingProvesIsUnsat() throws Exception {
    for (long seed = 30; seed < 40; seed++) {
      try (Network net = TinyNetworks.fc(manager, seed)) {
        NDArray x = TinyNetworks.inputs(manager, net, 1).toType(DataType.FLOAT32, false);
        int label = predicted(net, x);
        double found = Double.NaN;
        for (double eps = 0.01; eps < 0.5; eps += 0.01) {
          boolean crown = crownProves(net, x, label, eps);
          boolean grid = gridProves(net, x, label, eps);
          if (!grid) {
            break;
          }
          if (!crown) {
            found = eps;
            break;
          }
        }
        if (Double.isNaN(found)) {
          continue;
        }
        VnnlibProperty property = property(net, x, label, found);
        LinearBoundDomain crown = new LinearBoundDomain(LinearBoundDomain.Intermediate.CROWN,
            IntervalDomain.Rounding.OUTWARD);
        PropertyVerifier splitting = new PropertyVerifier(PropertyVerifier.standard().attack(),
            null, new BranchAndBound(crown, crown, 16, 50_000, null), null);
        PropertyVerifier.Result result = splitting.verify(net, property, Duration.ofSeconds(60),
            manager, null);
        assertInstanceOf(Verdict.Certified.class, result.verdict(), "seed " + seed + " eps "
            + found + ": " + result);
        assertTrue(result.method().equals("bab") && result.subproblems() > 1, result.toString());
        PropertyVerifier.Result inputs = new PropertyVerifier(splitting.attack(), null, null,
            InputSplitting.standard()).verify(net, property, Duration.ofSeconds(60), manager,
            null);
        assertInstanceOf(Verdict.Certified.class, inputs.verdict(), inputs.toString());
        assertTrue(inputs.method().equals("input-split") && inputs.subproblems() > 1,
            inputs.toString());
        assertInstanceOf(Verdict.Certified.class, PropertyVerifier.standard().verify(net,
            property, Duration.ofSeconds(60), manager, null).verdict());
        Certifier.Decision decision = new Certifier(Certifier.Method.BAB).decide(net,
            new InputSet.LinfBall(x, found, 0, 1),
            new Specification.Margins(manager.create(new long[] {label})))[0];
        assertInstanceOf(Verdict.Certified.class, decision.verdict(), decision.toString());
        return;
      }
    }
    throw new AssertionError("no seed gave a property that only splitting proves");
  }

  @Test
  void aMisclassifiedPointGivesACheckedCounterexampleAndNeverUnsat() throws Exception {
    try (Network net = TinyNetworks.fc(manager, 41L)) {
      NDArray x = TinyNetworks.inputs(manager, net, 1).toType(DataType.FLOAT32, false);
      int label = predicted(net, x);
      double eps = 0.5;
      NDArray samples = TinyNetworks.ballPoints(x.toType(DataType.FLOAT64, false), eps, 2000, 3);
      long[] classes = ConcreteDomain.forward(net, samples, EVAL).argMax(1).toLongArray();
      assertTrue(java.util.Arrays.stream(classes).anyMatch(c -> c != label),
          "sampling finds no other class at eps " + eps);
      VnnlibProperty property = property(net, x, label, eps);
      PropertyVerifier.Result result = PropertyVerifier.standard().verify(net, property,
          Duration.ofSeconds(30), manager, null);
      Verdict.Falsified sat = assertInstanceOf(Verdict.Falsified.class, result.verdict());
      double[] input = sat.input();
      assertTrue(property.disjuncts().getFirst().box().contains(input), "outside the box");
      double[] y = ConcreteDomain.forward(net, manager.create(input, new Shape(1, 1, 2, 2)),
          EVAL).toDoubleArray();
      boolean other = false;
      for (int k = 0; k < y.length; k++) {
        other |= k != label && y[k] >= y[label];
      }
      assertTrue(other, "the counterexample keeps class " + label);
      RegionAttack weak = new RegionAttack(1, 1, 1e-6, 0);
      for (PropertyVerifier blind : List.of(new PropertyVerifier(weak,
          LinearBoundDomain.SlopeOptimisation.standard(), BranchAndBound.standard(), null),
          new PropertyVerifier(weak, null, null, InputSplitting.standard()))) {
        PropertyVerifier.Result unanswered = blind.verify(net, property, Duration.ofSeconds(5),
            manager, null);
        assertFalse(unanswered.verdict().isCertified(), "a false property called unsat: "
            + unanswered);
      }
    }
  }

  private static int predicted(Network net, NDArray x) {
    return (int) ConcreteDomain.forward(net, x, EVAL).argMax(1).getLong(0);
  }

  private VnnlibProperty property(Network net, NDArray x, int label, double eps)
      throws Exception {
    float[] centre = x.toFloatArray();
    double[] lower = new double[centre.length];
    double[] upper = new double[centre.length];
    for (int i = 0; i < centre.length; i++) {
      lower[i] = Math.max(0, centre[i] - eps);
      upper[i] = Math.min(1, centre[i] + eps);
    }
    return VnnlibReader.parse(VnnlibWriter.formatRobustness(lower, upper, net.numClasses(),
        label), "robustness.vnnlib");
  }

  private boolean crownProves(Network net, NDArray x, int label, double eps) {
    try (ai.djl.ndarray.NDManager scope = manager.newSubManager()) {
      NDArray centre = x.toType(DataType.FLOAT64, false);
      centre.attach(scope);
      NDArray lower = new LinearBoundDomain(LinearBoundDomain.Intermediate.CROWN,
          IntervalDomain.Rounding.OUTWARD).lowerBounds(net,
          new InputSet.LinfBall(centre, eps, 0, 1),
          new Specification.Margins(scope.create(new long[] {label})), EVAL);
      return positiveExceptLabel(lower.toDoubleArray(), label, net.numClasses());
    }
  }

  /** Interval bounds on each of the GRID^4 sub-boxes of the clipped ball prove the margins. */
  private boolean gridProves(Network net, NDArray x, int label, double eps) {
    float[] c = x.toFloatArray();
    int n = GRID * GRID * GRID * GRID;
    double[] lo = new double[n * 4];
    double[] hi = new double[n * 4];
    for (int b = 0; b < n; b++) {
      int rest = b;
      for (int d = 0; d < 4; d++) {
        double from = Math.max(0, c[d] - eps);
        double to = Math.min(1, c[d] + eps);
        int cell = rest % GRID;
        rest /= GRID;
        lo[b * 4 + d] = from + (to - from) * cell / GRID;
        hi[b * 4 + d] = cell == GRID - 1 ? to : from + (to - from) * (cell + 1) / GRID;
      }
    }
    Shape shape = new Shape(n, 1, 2, 2);
    long[] labels = new long[n];
    java.util.Arrays.fill(labels, label);
    double[] v;
    try (ai.djl.ndarray.NDManager scope = manager.newSubManager()) {
      v = new IntervalDomain(IntervalDomain.Rounding.OUTWARD).lowerBounds(net,
          new InputSet.BoxRegion(scope.create(lo, shape), scope.create(hi, shape)),
          new Specification.Margins(scope.create(labels)), EVAL).toDoubleArray();
    }
    int k = net.numClasses();
    for (int b = 0; b < n; b++) {
      if (!positiveExceptLabel(java.util.Arrays.copyOfRange(v, b * k, (b + 1) * k), label, k)) {
        return false;
      }
    }
    return true;
  }

  private static boolean positiveExceptLabel(double[] rows, int label, int classes) {
    for (int k = 0; k < classes; k++) {
      if (k != label && !(rows[k] > 0)) {
        return false;
      }
    }
    return true;
  }
}

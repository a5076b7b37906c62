package org.certkit.milp;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.certkit.attack.RegionAttack;
import org.certkit.certify.BranchAndBound;
import org.certkit.certify.Certifier;
import org.certkit.certify.Verdict;
import org.certkit.domain.LinearBoundDomain;
import org.certkit.io.vnnlib.VnnlibProperty;
import org.certkit.io.vnnlib.VnnlibReader;
import org.certkit.net.BatchNorm;
import org.certkit.net.Layer;
import org.certkit.net.Linear;
import org.certkit.net.Network;
import org.certkit.net.Normalize;
import org.certkit.net.Relu;
import org.certkit.spec.InputSet;
import org.certkit.spec.Specification;
import org.certkit.verify.PropertyVerifier;
import org.certkit.testing.EngineTest;
import org.junit.jupiter.api.Test;

/**
 * The exact leaf against geometry computed here: on a 2-input ReLU network with every unstable
 * unit split, the network is affine on a polygon (the box clipped by the splits' half-planes),
 * whose vertices give the exact minimum of a row. The leaf must prove the row shifted 1e-3
 * above that minimum and never the row shifted 1e-3 below it, where its point must violate the
 * row. Unsplit, the leaf must never prove a row that a grid point violates. Branch and bound with
 * the leaf must prove a property that holds by 0.01 (exact minimum over every activation
 * pattern's polygon) and never one violated by 0.01; {@code certify --method bab} with the leaf
 * proves one that holds by 1e-4 (which it leaves undecided without the leaf) and never one
 * violated by 1e-4.
 */
class LinearProgramLeafTest extends EngineTest {

  private static final int WIDTH = 6;
  private static final double[] LOWER = {-1, -1};
  private static final double[] UPPER = {1, 1};

  @Test
  void provesJustAboveTheExactMinimumOfASplitRegionAndGivesAPointJustBelow() {
    for (boolean normalise : new boolean[] {false, true}) {
      for (long seed = 1; seed <= 6; seed++) {
        Plain net = Plain.random(seed, normalise);
        try (Network network = net.toNetwork(manager)) {
          double[][][] pre = net.intervalBounds();
          Random random = new Random(seed + 100);
          double[] x0 = {2 * random.nextDouble() - 1, 2 * random.nextDouble() - 1};
          byte[][] signs = net.patternSplits(x0, pre);
          double min = net.exactMinimum(signs);
          assertTrue(min <= net.output(x0) + 1e-9, "the polygon holds x0");
          LinearProgramLeaf leaf = new LinearProgramLeaf();
          BranchAndBound.LeafAnswer above = leaf.decide(network, LOWER, UPPER,
              new double[][] {{1}}, new double[] {1e-3 - min}, pre[0], pre[1], signs);
          assertInstanceOf(BranchAndBound.LeafAnswer.Proven.class, above,
              "seed " + seed + " normalise " + normalise + " min " + min);
          BranchAndBound.LeafAnswer below = leaf.decide(network, LOWER, UPPER,
              new double[][] {{1}}, new double[] {-1e-3 - min}, pre[0], pre[1], signs);
          BranchAndBound.LeafAnswer.Points points = assertInstanceOf(
              BranchAndBound.LeafAnswer.Points.class, below, "seed " + seed);
          double[] x = points.candidates().getFirst();
          assertTrue(x[0] >= -1 && x[0] <= 1 && x[1] >= -1 && x[1] <= 1, "outside the box");
          assertTrue(net.output(x) - 1e-3 - min < 1e-6, "the point does not violate the row: "
              + (net.output(x) - min));
        }
      }
    }
  }

  @Test
  void neverProvesARowThatAGridPointViolatesWithoutSplits() {
    for (long seed = 1; seed <= 6; seed++) {
      Plain net = Plain.random(seed, seed % 2 == 0);
      try (Network network = net.toNetwork(manager)) {
        double[][][] pre = net.intervalBounds();
        double gridMin = Double.POSITIVE_INFINITY;
        for (int i = 0; i <= 200; i++) {
          for (int j = 0; j <= 200; j++) {
            gridMin = Math.min(gridMin, net.output(new double[] {-1 + i / 100.0,
                -1 + j / 100.0}));
          }
        }
        BranchAndBound.LeafAnswer answer = new LinearProgramLeaf().decide(network, LOWER, UPPER,
            new double[][] {{1}}, new double[] {-gridMin - 1e-3}, pre[0], pre[1],
            new byte[2][]);
        assertTrue(!(answer instanceof BranchAndBound.LeafAnswer.Proven), "seed " + seed);
      }
    }
  }

  @Test
  void refusesNetworksWhoseMapsItWouldRound() {
    NDArray w = manager.create(new float[] {1, 2, 3, 4}, new Shape(2, 2));
    NDArray b = manager.create(new float[] {0, 0});
    try (Network network = new Network("two-linear", new Shape(2), List.of(new Linear(w, b),
        new Linear(w, b), new Relu(), new Linear(w, b)), manager.newSubManager())) {
      BranchAndBound.LeafAnswer answer = new LinearProgramLeaf().decide(network, LOWER, UPPER,
          new double[][] {{1, 0}}, new double[] {0}, new double[][] {{-1, -1}},
          new double[][] {{1, 1}}, new byte[1][]);
      BranchAndBound.LeafAnswer.Open open = assertInstanceOf(
          BranchAndBound.LeafAnswer.Open.class, answer);
      assertTrue(open.reason().contains("two affine layers"), open.reason());
    }
    try (Network network = new Network("bn", new Shape(2), List.of(new Linear(w, b),
        new BatchNorm(manager.ones(new Shape(2)), manager.zeros(new Shape(2)),
            manager.zeros(new Shape(2)), manager.ones(new Shape(2)), 1e-5f, 0.1f), new Relu(),
        new Linear(w, b)),
        manager.newSubManager())) {
      BranchAndBound.LeafAnswer answer = new LinearProgramLeaf().decide(network, LOWER, UPPER,
          new double[][] {{1, 0}}, new double[] {0}, new double[][] {{-1, -1}},
          new double[][] {{1, 1}}, new byte[1][]);
      assertInstanceOf(BranchAndBound.LeafAnswer.Open.class, answer);
    }
  }

  @Test
  void branchAndBoundWithTheLeafDecidesWhatHoldsOrFailsByAHundredth() {
    for (long seed = 1; seed <= 3; seed++) {
      Plain net = Plain.random(seed, false);
      double min = net.globalMinimum();
      try (Network network = net.toNetwork(manager)) {
        BranchAndBound search = BranchAndBound.of(4, 2, LinearBoundDomain.SoundArithmetic.FLOAT64)
            .withLeaf(new LinearProgramLeaf());
        NDArray lo = manager.create(LOWER, new Shape(1, 2));
        NDArray hi = manager.create(UPPER, new Shape(1, 2));
        BranchAndBound.Outcome holds = search.prove(network, lo, hi, row(0.01 - min),
            Duration.ofSeconds(60), null, null);
        assertInstanceOf(BranchAndBound.Outcome.Proven.class, holds, "seed " + seed);
        BranchAndBound.Outcome fails = search.prove(network, lo, hi, row(-0.01 - min),
            Duration.ofSeconds(60), null, null);
        BranchAndBound.Outcome.Candidates found = assertInstanceOf(
            BranchAndBound.Outcome.Candidates.class, fails, "seed " + seed + ": " + fails);
        assertTrue(found.points().stream().anyMatch(x -> net.output(x) - 0.01 - min <= 1e-6),
            "no candidate violates the row");
      }
    }
  }

  @Test
  void theVerifierAnswersThroughTheLeafWhereTheAttackIsBlind() throws Exception {
    Plain net = Plain.random(2, false);
    double min = net.globalMinimum();
    PropertyVerifier verifier = new PropertyVerifier(new RegionAttack(1, 1, 1e-6, 0),
        LinearBoundDomain.SlopeOptimisation.standard(),
        BranchAndBound.of(4, 2, LinearBoundDomain.SoundArithmetic.FLOAT64)
            .withLeaf(new LinearProgramLeaf()), null);
    try (Network network = net.toNetwork(manager)) {
      PropertyVerifier.Result sat = verifier.verify(network, below(min + 0.01),
          Duration.ofSeconds(60), manager, null);
      Verdict.Falsified found = assertInstanceOf(Verdict.Falsified.class, sat.verdict(),
          sat.toString());
      assertTrue(sat.method().equals("bab"), sat.toString());
      assertTrue(net.output(found.input()) <= min + 0.01, "not a counterexample");
      PropertyVerifier.Result unsat = verifier.verify(network, below(min - 0.01),
          Duration.ofSeconds(60), manager, null);
      assertInstanceOf(Verdict.Certified.class, unsat.verdict(), unsat.toString());
    }
  }

  @Test
  void certifyByBranchAndBoundProvesThroughTheLeafWhatHoldsByATenThousandth() {
    Certifier certifier = new Certifier(Certifier.Method.BAB, Duration.ofSeconds(60),
        LinearBoundDomain.SoundArithmetic.FLOAT64, new LinearProgramLeaf());
    for (long seed = 1; seed <= 3; seed++) {
      Plain net = Plain.random(seed, true);
      double min = net.globalMinimum();
      try (Network network = net.toNetwork(manager)) {
        InputSet box = new InputSet.BoxRegion(manager.create(LOWER, new Shape(1, 2)),
            manager.create(UPPER, new Shape(1, 2)));
        Certifier.Decision holds = certifier.decide(network, box, row(1e-4 - min))[0];
        assertInstanceOf(Verdict.Certified.class, holds.verdict(), "seed " + seed);
        Certifier.Decision fails = certifier.decide(network, box, row(-1e-4 - min))[0];
        assertTrue(!fails.verdict().isCertified(), "seed " + seed + " certified a violated row");
        assertTrue(fails.method() == Certifier.Method.BAB, fails.toString());
      }
    }
  }

  /** The property "the output is at most {@code c} somewhere on [-1, 1]^2" (unsafe set). */
  private static VnnlibProperty below(double c) throws Exception {
    String text = "(declare-const X_0 Real)\n(declare-const X_1 Real)\n(declare-const Y_0 Real)\n"
        + "(assert (>= X_0 -1))\n(assert (<= X_0 1))\n(assert (>= X_1 -1))\n"
        + "(assert (<= X_1 1))\n(assert (<= Y_0 " + new java.math.BigDecimal(c).toPlainString()
        + "))\n";
    return VnnlibReader.parse(text, "below.vnnlib");
  }

  private Specification.LinearConstraints row(double offset) {
    return new Specification.LinearConstraints(manager.create(new double[] {1},
        new Shape(1, 1, 1)), manager.create(new double[] {offset}, new Shape(1, 1)));
  }

  /**
   * A 2-6-6-1 ReLU network in plain doubles (weights float, as the engine holds them), with an
   * optional input normalisation.
   */
  private record Plain(float[][][] weights, float[][] biases, float mean, float std) {

    static Plain random(long seed, boolean normalise) {
      Random random = new Random(seed);
      int[] sizes = {2, WIDTH, WIDTH, 1};
      float[][][] w = new float[3][][];
      float[][] b = new float[3][];
      for (int k = 0; k < 3; k++) {
        w[k] = new float[sizes[k + 1]][sizes[k]];
        b[k] = new float[sizes[k + 1]];
        for (int j = 0; j < sizes[k + 1]; j++) {
          b[k][j] = (float) (0.5 * random.nextGaussian());
          for (int i = 0; i < sizes[k]; i++) {
            w[k][j][i] = (float) random.nextGaussian();
          }
        }
      }
      return new Plain(w, b, normalise ? 0.3f : 0f, normalise ? 0.7f : 1f);
    }

    Network toNetwork(ai.djl.ndarray.NDManager parent) {
      ai.djl.ndarray.NDManager m = parent.newSubManager();
      List<Layer> layers = new ArrayList<>();
      if (std != 1f || mean != 0f) {
        layers.add(new Normalize(new float[] {mean}, new float[] {std}));
      }
      for (int k = 0; k < 3; k++) {
        int out = weights[k].length;
        int in = weights[k][0].length;
        float[] flat = new float[out * in];
        for (int j = 0; j < out; j++) {
          System.arraycopy(weights[k][j], 0, flat, j * in, in);
        }
        layers.add(new Linear(m.create(flat, new Shape(out, in)), m.create(biases[k])));
        if (k < 2) {
          layers.add(new Relu());
        }
      }
      return new Network("plain", new Shape(2), layers, m);
    }

    double[] normalised(double[] x) {
      return new double[] {(x[0] - mean) / std, (x[1] - mean) / std};
    }

    /** The pre-activations of both hidden layers at {@code x}. */
    double[][] preActivations(double[] x) {
      double[] h = normalised(x);
      double[][] out = new double[2][];
      for (int k = 0; k < 2; k++) {
        out[k] = affine(k, h);
        h = out[k].clone();
        for (int j = 0; j < h.length; j++) {
          h[j] = Math.max(0, h[j]);
        }
      }
      return out;
    }

    double output(double[] x) {
      double[] h = preActivations(x)[1];
      for (int j = 0; j < h.length; j++) {
        h[j] = Math.max(0, h[j]);
      }
      return affine(2, h)[0];
    }

    double[] affine(int k, double[] h) {
      double[] z = new double[weights[k].length];
      for (int j = 0; j < z.length; j++) {
        z[j] = biases[k][j];
        for (int i = 0; i < h.length; i++) {
          z[j] += weights[k][j][i] * h[i];
        }
      }
      return z;
    }

    /** Interval bounds of the hidden pre-activations on the box, widened by 1e-9. */
    double[][][] intervalBounds() {
      double[] lo = normalised(LOWER);
      double[] hi = normalised(UPPER);
      double[][][] out = new double[2][2][];
      for (int k = 0; k < 2; k++) {
        double[] zl = new double[weights[k].length];
        double[] zu = new double[weights[k].length];
        for (int j = 0; j < zl.length; j++) {
          zl[j] = biases[k][j];
          zu[j] = biases[k][j];
          for (int i = 0; i < lo.length; i++) {
            double w = weights[k][j][i];
            zl[j] += Math.min(w * lo[i], w * hi[i]);
            zu[j] += Math.max(w * lo[i], w * hi[i]);
          }
          zl[j] -= 1e-9 * (1 + Math.abs(zl[j]));
          zu[j] += 1e-9 * (1 + Math.abs(zu[j]));
        }
        out[0][k] = zl;
        out[1][k] = zu;
        lo = new double[zl.length];
        hi = new double[zu.length];
        for (int j = 0; j < zl.length; j++) {
          lo[j] = Math.max(0, zl[j]);
          hi[j] = Math.max(0, zu[j]);
        }
      }
      return new double[][][] {{out[0][0], out[0][1]}, {out[1][0], out[1][1]}};
    }

    /** Splits of every unit unstable under {@code pre}, by its sign at {@code x}. */
    byte[][] patternSplits(double[] x, double[][][] pre) {
      double[][] z = preActivations(x);
      byte[][] signs = new byte[2][WIDTH];
      for (int k = 0; k < 2; k++) {
        for (int j = 0; j < WIDTH; j++) {
          if (pre[0][k][j] < 0 && pre[1][k][j] > 0) {
            signs[k][j] = (byte) (z[k][j] >= 0 ? 1 : -1);
          }
        }
      }
      return signs;
    }

    /**
     * The exact minimum of the output over the box points whose hidden units have the signs of
     * {@code signs} (0: any) and are consistent with it: the polygon of the activation pattern
     * clipped from the box, the output's minimum at its vertices. Units with sign 0 take the
     * pattern of their interval bounds (only stable units are left unsplit here).
     */
    double exactMinimum(byte[][] signs) {
      double[][][] pre = intervalBounds();
      boolean[][] active = new boolean[2][WIDTH];
      for (int k = 0; k < 2; k++) {
        for (int j = 0; j < WIDTH; j++) {
          active[k][j] = signs[k][j] != 0 ? signs[k][j] > 0 : pre[0][k][j] >= 0;
        }
      }
      return patternMinimum(active, signs);
    }

    /** The minimum over every activation pattern: the output's exact minimum on the box. */
    double globalMinimum() {
      double best = Double.POSITIVE_INFINITY;
      for (int mask = 0; mask < 1 << (2 * WIDTH); mask++) {
        boolean[][] active = new boolean[2][WIDTH];
        byte[][] signs = new byte[2][WIDTH];
        for (int k = 0; k < 2; k++) {
          for (int j = 0; j < WIDTH; j++) {
            active[k][j] = (mask >> (k * WIDTH + j) & 1) == 1;
            signs[k][j] = (byte) (active[k][j] ? 1 : -1);
          }
        }
        best = Math.min(best, patternMinimum(active, signs));
      }
      return best;
    }

    /**
     * The output's minimum on the polygon where the units with a nonzero sign have it, under
     * the affine maps of pattern {@code active}; infinity when the polygon is empty.
     */
    private double patternMinimum(boolean[][] active, byte[][] signs) {
      List<double[]> polygon = new ArrayList<>(List.of(new double[] {-1, -1},
          new double[] {1, -1}, new double[] {1, 1}, new double[] {-1, 1}));
      // Affine maps of the raw input, row [a0, a1, c] per unit.
      double[][] map = {{1 / (double) std, 0, -mean / (double) std},
          {0, 1 / (double) std, -mean / (double) std}};
      for (int k = 0; k < 3; k++) {
        double[][] next = new double[weights[k].length][3];
        for (int j = 0; j < next.length; j++) {
          next[j][2] = biases[k][j];
          for (int i = 0; i < map.length; i++) {
            for (int c = 0; c < 3; c++) {
              next[j][c] += weights[k][j][i] * map[i][c];
            }
          }
        }
        if (k == 2) {
          double best = Double.POSITIVE_INFINITY;
          for (double[] v : polygon) {
            best = Math.min(best, next[0][0] * v[0] + next[0][1] * v[1] + next[0][2]);
          }
          return best;
        }
        for (int j = 0; j < next.length; j++) {
          if (signs[k][j] != 0) {
            polygon = clip(polygon, next[j], signs[k][j] > 0 ? 1 : -1);
          }
          if (!active[k][j]) {
            next[j] = new double[3];
          }
        }
        map = next;
      }
      throw new IllegalStateException("unreachable");
    }

    /** {@code polygon} cut to {@code sign * (a0 x + a1 y + c) >= 0} (Sutherland-Hodgman). */
    private static List<double[]> clip(List<double[]> polygon, double[] a, int sign) {
      List<double[]> out = new ArrayList<>();
      for (int i = 0; i < polygon.size(); i++) {
        double[] p = polygon.get(i);
        double[] q = polygon.get((i + 1) % polygon.size());
        double fp = sign * (a[0] * p[0] + a[1] * p[1] + a[2]);
        double fq = sign * (a[0] * q[0] + a[1] * q[1] + a[2]);
        if (fp >= 0) {
          out.add(p);
        }
        if ((fp >= 0) != (fq >= 0)) {
          double t = fp / (fp - fq);
          out.add(new double[] {p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])});
        }
      }
      return out;
    }
  }
}

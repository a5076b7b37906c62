package org.certkit.tightness.theory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Lemma 3.3, Theorem 3.4 and Corollary A.1, against brute-force boxes and by construction. */
class PropagationInvarianceTest {

  /** Non-negative weights are propagation invariant: tightness 1 in every dimension. */
  @Test
  void nonNegativeWeightsAreTight() {
    SplittableRandom random = new SplittableRandom(1);
    List<double[][]> weights = List.of(positive(8, 5, random), positive(6, 8, random),
        positive(3, 6, random));
    GlobalTightness tightness = new DeepLinearNetwork(weights).tightness(radius(5, random));
    for (double tau : tightness.perDimension()) {
      assertEquals(1, tau, 1e-12);
    }
    assertEquals(1, tightness.ratioOfMeans(), 1e-12);
  }

  /**
   * Corollary A.1: a free first row and column determine the signs; every 2x2 block then has a
   * positive sign product, and the constructed weights (with mixed signs) are invariant by
   * Lemma 3.3, pass Theorem 3.4, have tightness 1 and realise the pattern.
   */
  @Test
  void corollaryA1ConstructionIsInvariant() {
    int[] firstRow = {1, -1, -1, 1, -1};
    int[] firstColumn = {1, 1, -1, -1};
    int[][] pattern = PropagationInvariance.completeSignPattern(firstRow, firstColumn);
    assertArrayEquals(firstRow, pattern[0]);
    for (int i = 0; i < firstColumn.length; i++) {
      assertEquals(firstColumn[i], pattern[i][0]);
      for (int j = 0; i + 1 < firstColumn.length && j + 1 < firstRow.length; j++) {
        assertEquals(1, pattern[i][j] * pattern[i + 1][j] * pattern[i][j + 1]
            * pattern[i + 1][j + 1], "block at " + i + ", " + j);
      }
    }
    SplittableRandom random = new SplittableRandom(2);
    DeepLinearNetwork network = PropagationInvariance.invariantNetwork(pattern, 7, random);
    assertTrue(hasBothSigns(network.weight(1)) && hasBothSigns(network.weight(2)),
        "the construction should not be trivially non-negative");
    assertTrue(PropagationInvariance.decide(network).invariant());
    assertEquals(Optional.empty(), PropagationInvariance.signTest(network));
    GlobalTightness tightness = network.tightness(radius(5, random));
    for (double tau : tightness.perDimension()) {
      assertEquals(1, tau, 1e-12);
    }
    double[][] product = network.product();
    for (int i = 0; i < pattern.length; i++) {
      for (int j = 0; j < firstRow.length; j++) {
        assertEquals(pattern[i][j], (int) Math.signum(product[i][j]));
      }
    }
  }

  /** A pattern that breaks the 2x2 sign rule has no invariant realisation. */
  @Test
  void invariantNetworkRejectsIncompletablePatterns() {
    int[][] counter = {{1, 1}, {1, -1}};
    assertThrows(IllegalArgumentException.class,
        () -> PropagationInvariance.invariantNetwork(counter, 3, new SplittableRandom(1)));
  }

  /**
   * The paper's counter-pattern: W_2 W_1 = [[1.5, 0.5], [-0.5, 1.5]] has three positive entries
   * and one negative, so the sign product is negative. Theorem 3.4 flags it, Lemma 3.3 agrees,
   * and the optimal box is strictly smaller than the layer-wise one.
   */
  @Test
  void theorem34FlagsTheCounterPattern() {
    double[][] w1 = {{1, 1}, {1, -1}};
    double[][] w2 = {{1, 0.5}, {0.5, -1}};
    DeepLinearNetwork network = new DeepLinearNetwork(List.of(w1, w2));
    double[][] product = network.product();
    assertArrayEquals(new double[] {1.5, 0.5}, product[0], 1e-15);
    assertArrayEquals(new double[] {-0.5, 1.5}, product[1], 1e-15);
    assertEquals(Optional.of(new SignWitness(0, 1, 0, 1)), PropagationInvariance.signTest(network));
    assertFalse(PropagationInvariance.decide(network).invariant());
    // |W2 W1| 1 = (2, 2) against |W2| |W1| 1 = (3, 3).
    GlobalTightness tightness = network.tightness(new double[] {1, 1});
    assertArrayEquals(new double[] {2, 2}, tightness.optimalRadius(), 1e-15);
    assertArrayEquals(new double[] {3, 3}, tightness.layerwiseRadius(), 1e-15);
  }

  /**
   * Lemma 3.3 against brute force on every sign pattern in {-1, 0, 1} of 2x2 by 2x2 weights
   * (random magnitudes) and every pattern in {-1, 1} of 3x2 by 2x3 weights: the boxes are
   * computed by enumerating vertices, layer by layer for IBP and end to end for the optimal box,
   * for a random centre and a random positive radius (strictly positive radii make equal boxes
   * equivalent to equal radius matrices, hence to invariance for every box).
   */
  @Test
  void lemma33AgreesWithVertexEnumeration() {
    SplittableRandom random = new SplittableRandom(33);
    int[] counts = new int[2];
    enumerate(2, 2, 2, new int[] {-1, 0, 1}, random, counts);
    enumerate(2, 3, 2, new int[] {-1, 1}, random, counts);
    assertEquals(3 * 3 * 3 * 3 * 3 * 3 * 3 * 3 + (1 << 12), counts[0] + counts[1]);
    assertTrue(counts[0] > 100 && counts[1] > 100, "both verdicts occur: " + Arrays.toString(
        counts));
  }

  /** Lemma 3.3's witness names an (i, j) whose paths have both signs. */
  @Test
  void lemma33WitnessPointsAtMixedSigns() {
    double[][] w1 = {{1, 2}, {3, 4}, {5, 6}};
    double[][] w2 = {{1, 1, 1}, {1, -1, 1}};
    InvarianceVerdict verdict = PropagationInvariance.decide(
        new DeepLinearNetwork(List.of(w1, w2)));
    assertEquals(new InvarianceVerdict.NotInvariant(1, 0, 0, 1), verdict);
  }

  private static void enumerate(int inputs, int hidden, int outputs, int[] signs,
      SplittableRandom random, int[] counts) {
    int entries = hidden * inputs + outputs * hidden;
    int patterns = (int) Math.pow(signs.length, entries);
    for (int code = 0; code < patterns; code++) {
      double[][] w1 = new double[hidden][inputs];
      double[][] w2 = new double[outputs][hidden];
      int rest = code;
      for (int e = 0; e < entries; e++) {
        double value = signs[rest % signs.length] * random.nextDouble(0.5, 1.5);
        rest /= signs.length;
        if (e < hidden * inputs) {
          w1[e / inputs][e % inputs] = value;
        } else {
          int f = e - hidden * inputs;
          w2[f / hidden][f % hidden] = value;
        }
      }
      double[] centre = new double[inputs];
      double[] radius = new double[inputs];
      for (int j = 0; j < inputs; j++) {
        centre[j] = random.nextDouble(-1, 1);
        radius[j] = random.nextDouble(0.1, 1);
      }
      double[][] optimal = vertexBox(product(w2, w1), centre, radius);
      double[][] hiddenBox = vertexBox(w1, centre, radius);
      double[] hiddenCentre = new double[hidden];
      double[] hiddenRadius = new double[hidden];
      for (int k = 0; k < hidden; k++) {
        hiddenCentre[k] = (hiddenBox[0][k] + hiddenBox[1][k]) / 2;
        hiddenRadius[k] = (hiddenBox[1][k] - hiddenBox[0][k]) / 2;
      }
      double[][] layerwise = vertexBox(w2, hiddenCentre, hiddenRadius);
      boolean equal = true;
      for (int side = 0; side < 2; side++) {
        for (int i = 0; i < outputs; i++) {
          equal &= Math.abs(optimal[side][i] - layerwise[side][i]) < 1e-9;
        }
      }
      boolean invariant = PropagationInvariance.decide(
          new DeepLinearNetwork(List.of(w1, w2))).invariant();
      assertEquals(equal, invariant, "W1 = " + Arrays.deepToString(w1) + ", W2 = "
          + Arrays.deepToString(w2));
      counts[invariant ? 1 : 0]++;
    }
  }

  /** Lower and upper bounds of {@code m x} over the box, by visiting all its vertices. */
  private static double[][] vertexBox(double[][] m, double[] centre, double[] radius) {
    double[] lower = new double[m.length];
    double[] upper = new double[m.length];
    Arrays.fill(lower, Double.POSITIVE_INFINITY);
    Arrays.fill(upper, Double.NEGATIVE_INFINITY);
    for (int vertex = 0; vertex < 1 << centre.length; vertex++) {
      for (int i = 0; i < m.length; i++) {
        double y = 0;
        for (int j = 0; j < centre.length; j++) {
          y += m[i][j] * (centre[j] + (((vertex >> j) & 1) == 1 ? radius[j] : -radius[j]));
        }
        lower[i] = Math.min(lower[i], y);
        upper[i] = Math.max(upper[i], y);
      }
    }
    return new double[][] {lower, upper};
  }

  private static double[][] product(double[][] a, double[][] b) {
    double[][] c = new double[a.length][b[0].length];
    for (int i = 0; i < a.length; i++) {
      for (int j = 0; j < b[0].length; j++) {
        for (int k = 0; k < b.length; k++) {
          c[i][j] += a[i][k] * b[k][j];
        }
      }
    }
    return c;
  }

  private static double[][] positive(int rows, int columns, SplittableRandom random) {
    double[][] m = new double[rows][columns];
    for (double[] row : m) {
      for (int j = 0; j < columns; j++) {
        row[j] = random.nextDouble();
      }
    }
    return m;
  }

  private static double[] radius(int n, SplittableRandom random) {
    double[] r = new double[n];
    for (int j = 0; j < n; j++) {
      r[j] = random.nextDouble(0.1, 1);
    }
    return r;
  }

  private static boolean hasBothSigns(double[][] m) {
    boolean positive = false;
    boolean negative = false;
    for (double[] row : m) {
      for (double v : row) {
        positive |= v > 0;
        negative |= v < 0;
      }
    }
    return positive && negative;
  }
}

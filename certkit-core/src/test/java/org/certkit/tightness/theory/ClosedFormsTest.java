package org.certkit.tightness.theory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The closed forms of Lemma 3.7, Lemma B.2, Corollary 3.8 and Theorem 3.10, and their limits. */
class ClosedFormsTest {

  /** Section 3.3: "tau(500) ~ 0.056" for the penultimate layer of CNN7. */
  @Test
  void tauOf500IsThePapersValue() {
    assertEquals(0.056, Math.round(InitializationTightness.tau(500) * 1000) / 1000.0, 0);
  }

  /** {@code tau(1) = 1} (one path per entry), {@code tau(2) = pi / 4} by hand. */
  @Test
  void tauAtSmallWidths() {
    assertEquals(1, InitializationTightness.tau(1), 1e-14);
    assertEquals(Math.PI / 4, InitializationTightness.tau(2), 1e-14);
    // tau(3) = sqrt(pi) Gamma(2) / (3 Gamma(3/2)) = 2 / 3.
    assertEquals(2.0 / 3, InitializationTightness.tau(3), 1e-14);
  }

  /**
   * Lemma B.2: g increases for n >= 1, g(2) = 4 / pi > 1.27, and g(n) / sqrt(2 n / pi) tends to
   * 1 (the O(sqrt(n)) growth of Figure 7), checked with the next Stirling term 1 + 1 / (4 n)
   * (up to the rounding of log-gamma values near 1e7 at n = 1e6).
   */
  @Test
  void gIsIncreasingAndGrowsLikeSqrtN() {
    assertEquals(4 / Math.PI, InitializationTightness.g(2), 1e-14);
    assertTrue(InitializationTightness.g(2) > 1.27);
    for (int n = 1; n < 20_000; n++) {
      assertTrue(InitializationTightness.g(n + 1) > InitializationTightness.g(n), "n = " + n);
    }
    for (int n : new int[] {100, 10_000, 1_000_000}) {
      double ratio = InitializationTightness.g(n) / Math.sqrt(2 * n / Math.PI);
      assertEquals(1 + 1.0 / (4 * n), ratio, 2.0 / n / n + 1e-9, "n = " + n);
    }
  }

  /** Corollary 3.8's bound lies above the exact product and equals it for L = 2. */
  @Test
  void depthBoundDominatesTheExactProduct() {
    int width = 50;
    for (int depth = 1; depth <= 12; depth++) {
      int[] internal = new int[depth - 1];
      java.util.Arrays.fill(internal, width);
      double exact = InitializationTightness.expectedTightness(internal);
      assertEquals(Math.pow(InitializationTightness.tau(width), depth - 1), exact, 1e-12 * exact);
      assertTrue(exact <= InitializationTightness.depthBound(width, depth) * (1 + 1e-12),
          "depth " + depth);
    }
    assertEquals(InitializationTightness.tau(width),
        InitializationTightness.depthBound(width, 2), 1e-15);
    assertEquals(1, InitializationTightness.depthBound(width, 1), 0);
  }

  /** Theorem 3.10 (i): c(1) = 1, c(2) = 1/2 + 1/pi by hand, c(d) -> 2 / pi. */
  @Test
  void cTendsToTwoOverPi() {
    assertEquals(1, BoxReconstruction.c(1), 1e-15);
    // d = 2: u = (cos t, sin t), E|cos t|(|cos t| + |sin t|) = 1/2 + E|sin 2t| / 2.
    assertEquals(0.5 + 1 / Math.PI, BoxReconstruction.c(2), 1e-15);
    assertEquals(2 / Math.PI, BoxReconstruction.C_LIMIT, 0);
    assertTrue(Math.abs(BoxReconstruction.c(100) - 0.64) < 0.001, "paper: ~0.64 for d >= 100");
    assertEquals(BoxReconstruction.C_LIMIT, BoxReconstruction.c(1_000_000), 1e-6);
  }

  /**
   * Theorem 3.10 (ii): the limit is 2 / pi at k = 1 (where optimal and layer-wise propagation
   * coincide) and grows like sqrt(2 k / pi).
   */
  @Test
  void optimalRatioLimitGrowsLikeSqrtK() {
    assertEquals(2 / Math.PI, BoxReconstruction.optimalRatioLimit(1), 1e-14);
    for (int k : new int[] {100, 10_000, 1_000_000}) {
      double ratio = BoxReconstruction.optimalRatioLimit(k) / Math.sqrt(2 * k / Math.PI);
      assertEquals(1 - 1.0 / (4 * k), ratio, 2.0 / k / k + 1e-9, "k = " + k);
    }
  }
}

package org.certkit.tightness.theory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The Haar sampler and the Monte-Carlo estimates of Theorem 3.10. */
class BoxReconstructionEstimatorTest {

  /**
   * The sign-corrected QR is the QR whose R has a positive diagonal, which Gram-Schmidt
   * computes: on the same Gaussian draws (column by column) both give the same columns.
   */
  @Test
  void haarColumnsAreGramSchmidtOfTheGaussianColumns() {
    int d = 7;
    int k = 4;
    double[][] q = RandomMatrices.haarColumnsTransposed(d, k, new SplittableRandom(8));
    SplittableRandom same = new SplittableRandom(8);
    double[][] basis = new double[k][d];
    for (int p = 0; p < k; p++) {
      double[] v = new double[d];
      for (int i = 0; i < d; i++) {
        v[i] = same.nextGaussian();
      }
      for (int r = 0; r < p; r++) {
        double dot = 0;
        for (int i = 0; i < d; i++) {
          dot += basis[r][i] * v[i];
        }
        for (int i = 0; i < d; i++) {
          v[i] -= dot * basis[r][i];
        }
      }
      double norm = Math.sqrt(java.util.Arrays.stream(v).map(x -> x * x).sum());
      for (int i = 0; i < d; i++) {
        basis[p][i] = v[i] / norm;
        assertEquals(basis[p][i], q[p][i], 1e-12, "column " + p + ", row " + i);
      }
    }
  }

  /** Columns of a large sample are orthonormal. */
  @Test
  void haarColumnsAreOrthonormal() {
    double[][] q = RandomMatrices.haarColumnsTransposed(300, 40, new SplittableRandom(2));
    for (int p = 0; p < 40; p++) {
      for (int r = 0; r < 40; r++) {
        double dot = 0;
        for (int i = 0; i < 300; i++) {
          dot += q[p][i] * q[r][i];
        }
        assertEquals(p == r ? 1 : 0, dot, 1e-12);
      }
    }
  }

  /** Theorem 3.10 (i): the layer-wise ratio is c(d) k, with the exact c(d), at d = 50. */
  @Test
  void layerwiseRatioMatchesCTimesK() {
    List<ReconstructionEstimate> estimates = BoxReconstructionEstimator.estimate(
        new ReconstructionSampling(50, List.of(1, 5, 20), 400, 50, 4));
    for (ReconstructionEstimate e : estimates) {
      double expected = BoxReconstruction.expectedLayerwiseRatio(50, e.bottleneckWidth());
      MonteCarloEstimate ratio = e.layerwiseRatio();
      assertTrue(Math.abs(ratio.value() - expected) < 4 * ratio.standardError(),
          "k = " + e.bottleneckWidth() + ": " + ratio + " vs " + expected);
      assertEquals(BoxReconstruction.c(50), e.c().value(), 0.01);
    }
  }

  /**
   * At k = 1 optimal and layer-wise propagation coincide ({@code |u| |u|^T = |u u^T|}); at
   * k = d the reconstruction is the identity and the optimal ratio is exactly 1.
   */
  @Test
  void extremeWidthsHaveExactAnswers() {
    List<ReconstructionEstimate> estimates = BoxReconstructionEstimator.estimate(
        new ReconstructionSampling(30, List.of(1, 30), 5, 30, 6));
    ReconstructionEstimate one = estimates.get(0);
    assertEquals(one.layerwiseRatio().value(), one.optimalRatio().value(), 1e-12);
    ReconstructionEstimate full = estimates.get(1);
    assertEquals(1, full.optimalRatio().value(), 1e-12);
    assertEquals(0, full.optimalRatio().standardError(), 1e-12);
  }

  /**
   * Theorem 3.10 (ii) for k << d: at d = 1000 the optimal ratio is within 2% of
   * (2 / sqrt(pi)) Gamma((k + 1) / 2) / Gamma(k / 2), also when only 100 coordinates are
   * observed.
   */
  @Test
  void optimalRatioApproachesTheLimitForSmallK() {
    List<ReconstructionEstimate> estimates = BoxReconstructionEstimator.estimate(
        new ReconstructionSampling(1000, List.of(1, 4, 10), 40, 100, 7));
    for (ReconstructionEstimate e : estimates) {
      double limit = BoxReconstruction.optimalRatioLimit(e.bottleneckWidth());
      assertEquals(limit, e.optimalRatio().value(), 0.02 * limit, "k = " + e.bottleneckWidth());
    }
  }
}

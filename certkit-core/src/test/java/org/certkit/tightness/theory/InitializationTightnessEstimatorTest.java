package org.certkit.tightness.theory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** Monte-Carlo tightness of Gaussian deep linear networks against the closed forms. */
class InitializationTightnessEstimatorTest {

  /** Lemma 3.7: the estimate is within 2% of tau(d1) and within 4 standard errors. */
  @ParameterizedTest
  @ValueSource(ints = {2, 10, 100, 1000})
  void twoLayerEstimateMatchesLemma37(int width) {
    TightnessEstimate estimate = InitializationTightnessEstimator.estimate(
        GaussianDlnSampling.twoLayer(16, width, 16, 200, 11));
    double tau = InitializationTightness.tau(width);
    MonteCarloEstimate tightness = estimate.expectedTightness();
    assertEquals(tau, tightness.value(), 0.02 * tau, "d1 = " + width);
    assertTrue(Math.abs(tightness.value() - tau) < 4 * tightness.standardError(),
        "d1 = " + width + ": " + tightness + " vs " + tau);
    assertEquals(InitializationTightness.g(width), estimate.slackness().value(),
        0.02 * InitializationTightness.g(width));
  }

  /** Depth 4 at width 20: the exact product tau(20)^3, far below Corollary 3.8's bound. */
  @Test
  void deepEstimateMatchesTheProductOfLemma37() {
    MonteCarloEstimate tightness = InitializationTightnessEstimator.estimate(
        GaussianDlnSampling.ofDepth(16, 20, 4, 16, 400, 5)).expectedTightness();
    double exact = InitializationTightness.expectedTightness(20, 20, 20);
    assertTrue(Math.abs(tightness.value() - exact) < 4 * tightness.standardError(),
        tightness + " vs " + exact);
    assertEquals(exact, tightness.value(), 0.03 * exact);
    assertTrue(tightness.value() < 0.5 * InitializationTightness.depthBound(20, 4));
  }

  /** The same sampling record gives the same estimate; another seed a different one. */
  @Test
  void seedsMakeEstimatesRepeatable() {
    GaussianDlnSampling sampling = GaussianDlnSampling.twoLayer(4, 30, 4, 20, 99);
    assertEquals(InitializationTightnessEstimator.estimate(sampling),
        InitializationTightnessEstimator.estimate(sampling));
    assertTrue(InitializationTightnessEstimator.estimate(sampling).expectedTightness().value()
        != InitializationTightnessEstimator.estimate(GaussianDlnSampling.twoLayer(4, 30, 4, 20,
            100)).expectedTightness().value());
  }
}

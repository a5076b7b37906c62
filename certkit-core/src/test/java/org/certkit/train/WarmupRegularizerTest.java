package org.certkit.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.util.List;
import org.certkit.domain.Box;
import org.junit.jupiter.api.Test;

class WarmupRegularizerTest {

  /** The value matches the formulas of Shi et al. evaluated by hand on a 4-unit layer. */
  @Test
  void matchesHandComputedValue() {
    try (NDManager manager = NDManager.newBaseManager()) {
      Box input = new Box(manager.create(new float[] {0.5f, 0.5f}),
          manager.create(new float[] {0.1f, 0.1f}));
      // Units: two active (l > 0), one inactive (u < 0), one unstable.
      float[] c = {1.0f, 2.0f, -1.0f, 0.1f};
      float[] r = {0.5f, 0.5f, 0.5f, 0.5f};
      Box layer = new Box(manager.create(c), manager.create(r));
      double value = WarmupRegularizer.of(input, List.of(layer)).getFloat();
      double tau = 0.5;
      double tight = Math.max(0, tau - 0.1 / 0.5) / tau;
      double meanActive = (1.0 + 2.0) / 4;
      double meanInactive = 1.0 / 4;
      double meanRatio = Math.min(meanActive / meanInactive, meanInactive / meanActive);
      double mean = (1.0 + 2.0 - 1.0 + 0.1) / 4;
      double varActive = Math.pow(1 - mean, 2) + Math.pow(2 - mean, 2);
      double varInactive = Math.pow(-1 - mean, 2);
      double varRatio = Math.min(varActive / varInactive, varInactive / varActive);
      double balance = (Math.max(0, tau - meanRatio) + Math.max(0, tau - varRatio)) / tau;
      assertEquals(tight + balance, value, 1e-5);
    }
  }

  /**
   * A layer whose inactive units all sit at the mean centre has a zero inactive variance: that
   * ratio is dropped and the gradient stays finite (min(r, 1/r) of an infinite r would put NaN
   * into it while its value looked finite).
   */
  @Test
  void degenerateRatioGivesFiniteValueAndGradient() {
    try (NDManager manager = NDManager.newBaseManager()) {
      // Centres: one active (3), three inactive (-1, the mean), one unstable (-5 with radius 6).
      NDArray centre = manager.create(new float[] {3f, -1f, -1f, -1f, -5f});
      centre.setRequiresGradient(true);
      Box input = new Box(manager.create(new float[] {0.5f}), manager.create(new float[] {0.1f}));
      try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
        Box layer = new Box(centre.mul(1),
            centre.mul(0).add(manager.create(new float[] {0.5f, 0.5f, 0.5f, 0.5f, 6f})));
        NDArray value = WarmupRegularizer.of(input, List.of(layer));
        assertTrue(Float.isFinite(value.getFloat()));
        collector.backward(value);
      }
      for (float g : centre.getGradient().toFloatArray()) {
        assertTrue(Float.isFinite(g), "gradient " + g);
      }
    }
  }
  /**
   * A wide layer whose one active unit sits an ulp (float32) from the mean centre has an active
   * variance of about 1e-14 against an inactive one of about 1e7: a ratio far below 1e-20 whose
   * reciprocal's derivative overflows. Value and every gradient stay finite, and the value is
   * that of the formulas evaluated in float64.
   */
  @Test
  void wideLayerWithNearlyConstantSideGivesFiniteGradient() {
    int half = 100_000;
    float active = Math.nextUp(1f);
    float[] c = new float[2 * half + 1];
    float[] r = new float[c.length];
    for (int i = 0; i < half; i++) {
      c[i] = 12f; // unstable: [-8, 32]
      r[i] = 20f;
      c[half + i] = -10f; // inactive: [-10.5, -9.5]
      r[half + i] = 0.5f;
    }
    c[2 * half] = active; // active: [0.5, 1.5]
    r[2 * half] = 0.5f;
    try (NDManager manager = NDManager.newBaseManager()) {
      NDArray centre = manager.create(c);
      centre.setRequiresGradient(true);
      Box input = new Box(manager.create(new float[] {0.5f}), manager.create(new float[] {0.1f}));
      double value;
      try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
        Box layer = new Box(centre.mul(1), manager.create(r));
        NDArray regulariser = WarmupRegularizer.of(input, List.of(layer));
        value = regulariser.getFloat();
        collector.backward(regulariser);
      }
      for (float g : centre.getGradient().toFloatArray()) {
        assertTrue(Float.isFinite(g), "gradient " + g);
      }
      double n = c.length;
      double mean = (half * 12.0 - half * 10.0 + active) / n;
      double meanRadius = (half * 20.0 + half * 0.5 + 0.5) / n;
      double tau = 0.5;
      double tight = Math.max(0, tau - 0.1 / meanRadius) / tau;
      double meanActive = active / n;
      double meanInactive = half * 10.0 / n;
      double varActive = (active - mean) * (active - mean);
      double varInactive = half * (-10 - mean) * (-10 - mean);
      double meanRatio = Math.min(meanActive, meanInactive) / Math.max(meanActive, meanInactive);
      double varRatio = Math.min(varActive, varInactive) / Math.max(varActive, varInactive);
      assertTrue(varRatio < 1e-20, "the case must be degenerate: " + varRatio);
      double balance = (Math.max(0, tau - meanRatio) + Math.max(0, tau - varRatio)) / tau;
      assertEquals(tight + balance, value, 1e-5);
    }
  }
}

package org.certkit.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;
import org.junit.jupiter.api.Test;

class GradientClippingTest {

  /**
   * Entries of 3e20 are finite in float32 but their squares are not: the norm is still the
   * finite value computed here in float64 by hand, and clipping scales to the threshold.
   */
  @Test
  void hugeFiniteEntriesGiveFiniteNorm() {
    try (NDManager manager = NDManager.newBaseManager()) {
      NDArray big = manager.create(new float[] {3e20f, -4e20f});
      NDArray small = manager.create(new float[] {1f, 2f, 2f});
      double norm = GradientClipping.norm(List.of(big, small));
      double expected = Math.sqrt(Math.pow(3e20f, 2) + Math.pow(4e20f, 2) + 9);
      assertEquals(expected, norm, expected * 1e-6);
      assertEquals(3.0, GradientClipping.norm(List.of(small)), 1e-6);
      GradientClipping.clip(List.of(big, small), norm, 10);
      assertEquals(10, GradientClipping.norm(List.of(big, small)), 1e-4);
    }
  }

  /** A NaN or infinite entry gives a non-finite norm, which the trainer treats as a bad step. */
  @Test
  void nonFiniteEntriesGiveNonFiniteNorm() {
    try (NDManager manager = NDManager.newBaseManager()) {
      NDArray ok = manager.create(new float[] {1f, 2f});
      assertTrue(Double.isNaN(GradientClipping.norm(
          List.of(ok, manager.create(new float[] {Float.NaN})))));
      assertEquals(Double.POSITIVE_INFINITY, GradientClipping.norm(
          List.of(ok, manager.create(new float[] {Float.NEGATIVE_INFINITY}))));
    }
  }
}

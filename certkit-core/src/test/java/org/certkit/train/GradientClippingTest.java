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
   * finite value computed here in float64 by hand, and the clipping factor scales it to the
   * threshold; below the threshold the factor is 1.
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
      assertEquals(10, GradientClipping.scale(norm, 10) * norm, 1e-4);
      assertEquals(1f, GradientClipping.scale(3.0, 10));
    }
  }

  /**
   * A gradient long enough to be summed in parallel parts, one that is a transposed
   * (non-contiguous) view, and a float64 one: the joint norm is the square root of the sum of
   * squares of their values, added up here one by one in float64.
   */
  @Test
  void longViewedAndFloat64GradientsSumEveryValue() {
    try (NDManager manager = NDManager.newBaseManager()) {
      manager.getEngine().setRandomSeed(3);
      NDArray lengthy = manager.randomNormal(new ai.djl.ndarray.types.Shape(600, 500));
      NDArray viewed = manager.randomNormal(new ai.djl.ndarray.types.Shape(30, 70)).transpose();
      NDArray wide = manager.randomNormal(new ai.djl.ndarray.types.Shape(40))
          .toType(ai.djl.ndarray.types.DataType.FLOAT64, false);
      double expected = 0;
      for (float v : lengthy.toFloatArray()) {
        expected += (double) v * v;
      }
      for (float v : viewed.toFloatArray()) {
        expected += (double) v * v;
      }
      for (double v : wide.toDoubleArray()) {
        expected += v * v;
      }
      expected = Math.sqrt(expected);
      assertEquals(expected, GradientClipping.norm(List.of(lengthy, viewed, wide)),
          expected * 1e-12);
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

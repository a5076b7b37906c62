package org.certkit.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import java.nio.ByteBuffer;
import java.util.List;
import org.certkit.testing.EngineTest;
import org.certkit.testing.MemoryReuse;
import org.junit.jupiter.api.Test;

class ConstantsTest extends EngineTest {

  /**
   * The backward of a product reads the constant again after a collection has freed and refilled
   * small native allocations; the gradient of {@code 3 x} is still exactly 3.
   */
  @Test
  void constantOutlivesCollectionUntilBackward() {
    for (int trial = 0; trial < 50; trial++) {
      NDArray x = manager.create(new float[] {1f, 2f});
      x.setRequiresGradient(true);
      List<ByteBuffer> reused;
      try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
        NDArray y = x.mul(Constants.scalar(x, 3)).sum();
        reused = MemoryReuse.collectAndOverwrite();
        collector.backward(y);
      }
      java.lang.ref.Reference.reachabilityFence(reused);
      assertArrayEquals(new float[] {3f, 3f}, x.getGradient().toFloatArray(), "trial " + trial);
    }
  }

  /** A float64 constant keeps every bit of the double; a float32 one is its nearest float. */
  @Test
  void valueAndTypeFollowTheTemplate() {
    double third = 1.0 / 3;
    NDArray wide = Constants.scalar(manager.zeros(new ai.djl.ndarray.types.Shape(1),
        DataType.FLOAT64), third);
    assertEquals(DataType.FLOAT64, wide.getDataType());
    assertEquals(third, wide.getDouble());
    NDArray narrow = Constants.scalar(manager.zeros(new ai.djl.ndarray.types.Shape(1)), third);
    assertEquals(DataType.FLOAT32, narrow.getDataType());
    assertEquals((float) third, narrow.getFloat());
    NDArray perChannel = Constants.vector(new float[] {0.5f, 2f}, wide);
    assertArrayEquals(new double[] {0.5, 2}, perChannel.toDoubleArray());
  }
}
